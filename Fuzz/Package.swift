// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets, built by scripts/fuzz.sh with `-sanitize=fuzzer` (`ASAN=1`: and `address`), a
// separate package so the instrumented build never touches the main one.
let package = Package(
    name: "MMFuzz",
    dependencies: [.package(name: "swift-market-maker", path: "..")],
    targets: [
        // libFuzzer's driver, shared by every target.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "FuzzDepth",
            dependencies: [
                "FuzzDriver",
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMBook", package: "swift-market-maker"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzUserStream",
            dependencies: [
                "FuzzDriver",
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMExecution", package: "swift-market-maker"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzREST",
            dependencies: ["FuzzDriver", .product(name: "MMBinanceWire", package: "swift-market-maker")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: ["FuzzDriver", .product(name: "MMEngine", package: "swift-market-maker")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
