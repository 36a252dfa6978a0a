// swift-tools-version: 6.1
import PackageDescription

// A separate package so that `swift test` at the root never builds the benchmark harness.
let package = Package(
    name: "MMBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-market-maker", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MMCore", package: "swift-market-maker"),
                .product(name: "MMRing", package: "swift-market-maker"),
                .product(name: "MMBook", package: "swift-market-maker"),
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMReplay", package: "swift-market-maker"),
                .product(name: "MMStrategy", package: "swift-market-maker"),
                .product(name: "MMRisk", package: "swift-market-maker"),
                .product(name: "MMExecution", package: "swift-market-maker"),
                .product(name: "MMBinanceAuth", package: "swift-market-maker"),
                .product(name: "MMBinance", package: "swift-market-maker"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain loop over the same work for callgrind and quick timing (no harness, no concurrency runtime).
        .executableTarget(
            name: "ProfileMarketData",
            dependencies: [
                .product(name: "MMBook", package: "swift-market-maker"),
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMReplay", package: "swift-market-maker"),
            ],
            path: "Sources/ProfileMarketData"
        ),
        // Our bytes → book path over a whole recording file, for scripts/bench_peers.sh.
        .executableTarget(
            name: "PeerFile",
            dependencies: [
                .product(name: "MMBook", package: "swift-market-maker"),
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMReplay", package: "swift-market-maker"),
            ],
            path: "Sources/PeerFile"
        ),
        // Sign + encode one order as a plain loop, for callgrind.
        .executableTarget(
            name: "ProfileSign",
            dependencies: [
                .product(name: "MMBinanceWire", package: "swift-market-maker"),
                .product(name: "MMBinanceAuth", package: "swift-market-maker"),
            ],
            path: "Sources/ProfileSign"
        ),
        // The order manager driven as the gateway drives it, shared by the benchmarks and the plain loops.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "MMStrategy", package: "swift-market-maker"),
                .product(name: "MMRisk", package: "swift-market-maker"),
                .product(name: "MMExecution", package: "swift-market-maker"),
            ],
            path: "Sources/BenchSupport"
        ),
        // The per-tick gateway work as a plain loop, for callgrind.
        .executableTarget(
            name: "ProfileTick",
            dependencies: [
                "BenchSupport",
                .product(name: "MMStrategy", package: "swift-market-maker"),
                .product(name: "MMRisk", package: "swift-market-maker"),
                .product(name: "MMExecution", package: "swift-market-maker"),
            ],
            path: "Sources/ProfileTick"
        ),
    ]
)
