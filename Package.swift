// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-market-maker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mm", targets: ["mm"]),
        .library(name: "MMCore", targets: ["MMCore"]),
        .library(name: "MMRing", targets: ["MMRing"]),
        .library(name: "MMBook", targets: ["MMBook"]),
        .library(name: "MMRisk", targets: ["MMRisk"]),
        .library(name: "MMStrategy", targets: ["MMStrategy"]),
        .library(name: "MMExecution", targets: ["MMExecution"]),
        .library(name: "MMBinanceWire", targets: ["MMBinanceWire"]),
        .library(name: "MMReplay", targets: ["MMReplay"]),
        .library(name: "MMVenue", targets: ["MMVenue"]),
        .library(name: "MMSimCore", targets: ["MMSimCore"]),
        .library(name: "MMSim", targets: ["MMSim"]),
        .library(name: "MMBacktest", targets: ["MMBacktest"]),
        .library(name: "MMBinanceAuth", targets: ["MMBinanceAuth"]),
        .library(name: "MMNet", targets: ["MMNet"]),
        .library(name: "MMBinance", targets: ["MMBinance"]),
        .library(name: "MMEngine", targets: ["MMEngine"]),
        .library(name: "MMTelemetry", targets: ["MMTelemetry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Pure modules: standard library (and Synchronization) only, so their tests build in seconds.
        .target(name: "MMCore"),
        .target(name: "MMRing", dependencies: ["MMCore"]),
        .target(name: "MMBook", dependencies: ["MMCore"]),
        .target(name: "MMRisk", dependencies: ["MMCore", "MMBook"]),
        .target(name: "MMStrategy", dependencies: ["MMCore", "MMBook"]),
        .target(name: "MMExecution", dependencies: ["MMCore", "MMBook", "MMStrategy", "MMRisk"]),
        // Depth levels read with vector instructions (AVX2), chosen at run time; the Swift readers otherwise.
        .target(name: "CWireSIMD"),
        .target(name: "MMBinanceWire", dependencies: ["MMCore", "MMBook", "CWireSIMD"]),
        // HMAC-SHA256 on precomputed key states over the system's libcrypto (allocation free per signature).
        .target(name: "CSigning", linkerSettings: [.linkedLibrary("crypto")]),
        // Request signing (HMAC-SHA256), kept apart so the wire formats stay free of crypto and C libraries.
        .target(name: "MMBinanceAuth", dependencies: ["CSigning"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The venue-neutral trading model: venues, markets, order references and states, balances, errors, retries.
        .target(name: "MMVenue", dependencies: ["MMCore"]),
        // The spot rebalancer's decisions: planning rules, fill tracking, average cost (pure).
        .target(name: "MMRebalance", dependencies: ["MMCore", "MMVenue"]),
        // Spot venues' REST APIs (Binance spot, MEXC) onto the venue-neutral model.
        .target(name: "MMVenueClients", dependencies: ["MMVenue", "MMNet", "MMBinanceAuth", "MMBinanceWire", "MMCore", "MMExecution"]),
        // AES-256-GCM and randomness over the system's libcrypto, for the account store.
        .target(name: "CCipher", linkerSettings: [.linkedLibrary("crypto")]),
        // Venue accounts with their keys sealed under a master key, in SQLite.
        .target(name: "MMAccounts", dependencies: ["MMVenue", "CCipher", .product(name: "GRDB", package: "GRDB.swift")]),
        // The simulated venue's core, free of any venue's protocol and of NIO: markets replayed or synthetic,
        // matching with queue position and market impact, accounts, positions, margin, funding, liquidation.
        .target(name: "MMSimCore", dependencies: ["MMCore", "MMBook", "MMVenue"]),
        .target(name: "MMReplay", dependencies: ["MMCore", "MMBook", "MMBinanceWire", "MMSimCore", "CZlib"]),
        // The network layer every venue uses: keep-alive HTTP/1.1 with TLS and timeouts, WebSocket connections
        // with an idle watchdog, reconnect backoff with jitter.
        .target(
            name: "MMNet",
            dependencies: [
                "MMCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The engine's network side for Binance: market-data ingest, orders and user data.
        .target(
            name: "MMBinance",
            dependencies: [
                "MMCore", "MMRing", "MMBook", "MMBinanceWire", "MMBinanceAuth", "MMRisk", "MMStrategy", "MMExecution", "MMNet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The simulated venue's server with its Binance USDⓈ-M front end over `MMSimCore`.
        .target(
            name: "MMSim",
            dependencies: [
                "MMCore", "MMBook", "MMBinanceWire", "MMReplay", "MMBinanceAuth", "MMSimCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Operations surface: a small HTTP server for /metrics, /health and the loopback control endpoint.
        .target(
            name: "MMTelemetry",
            dependencies: [
                "MMCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Composition root: configuration, threads, the embedded simulator, run summaries.
        .target(
            name: "MMEngine",
            dependencies: [
                "MMCore", "MMRing", "MMBook", "MMStrategy", "MMRisk", "MMExecution", "MMBinanceWire", "MMBinanceAuth", "MMBinance", "MMReplay", "MMSim", "MMTelemetry",
                "MMVenue", "MMRebalance", "MMVenueClients", "MMAccounts",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "MMBacktest",
            dependencies: ["MMCore", "MMBook", "MMBinanceWire", "MMStrategy", "MMRisk", "MMExecution", "MMReplay", "MMSimCore"]
        ),
        .executableTarget(
            name: "mm",
            dependencies: [
                "MMCore", "MMBook", "MMBinanceWire", "MMReplay", "MMSim", "MMEngine", "MMBinance", "MMTelemetry", "MMBacktest", "MMAccounts",
                "MMBinanceAuth", "MMVenue", "MMVenueClients",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "TestSupport", dependencies: ["MMCore"], path: "Tests/TestSupport"),
        .testTarget(
            name: "MMCoreTests",
            dependencies: ["MMCore", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "MMRingTests", dependencies: ["MMRing", "TestSupport"]),
        .testTarget(name: "MMBookTests", dependencies: ["MMBook", "TestSupport"]),
        .testTarget(name: "MMStrategyTests", dependencies: ["MMStrategy", "MMExecution", "TestSupport"]),
        .testTarget(
            name: "MMExecutionTests",
            dependencies: ["MMExecution", "MMRisk", "MMBook", "MMStrategy", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "MMRiskTests",
            dependencies: ["MMRisk", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "MMBinanceWireTests", dependencies: ["MMBinanceWire", "MMReplay", "TestSupport"]),
        .testTarget(name: "MMVenueTests", dependencies: ["MMVenue", "TestSupport"]),
        .testTarget(
            name: "MMVenueClientsTests",
            dependencies: ["MMVenueClients", "MMSim", "MMVenue", "MMBinance", "MMExecution", "MMRisk", "MMStrategy", "MMBook", "TestSupport"]),
        .testTarget(name: "MMRebalanceTests", dependencies: ["MMRebalance", "MMVenue", "TestSupport"]),
        .testTarget(name: "MMAccountsTests", dependencies: ["MMAccounts", "MMVenue", "TestSupport"]),
        .testTarget(name: "MMSimCoreTests", dependencies: ["MMSimCore", "MMBook", "TestSupport"]),
        .testTarget(name: "MMReplayTests", dependencies: ["MMReplay", "TestSupport"]),
        .testTarget(name: "MMBacktestTests", dependencies: ["MMBacktest", "MMBook", "MMSimCore", "MMReplay", "MMStrategy", "MMExecution", "MMRisk", "TestSupport"]),
        .testTarget(
            name: "MMBinanceTests",
            dependencies: [
                "MMBinance", "MMNet", "MMSim", "MMReplay", "MMExecution", "TestSupport", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .testTarget(name: "MMBinanceAuthTests", dependencies: ["MMBinanceAuth", "MMBinanceWire", "TestSupport"]),
        .testTarget(
            name: "MMEngineTests", dependencies: ["MMEngine", "MMBinance", "MMSim", "MMReplay", "MMBinanceWire", "MMBinanceAuth", "MMTelemetry", "MMAccounts", "MMRebalance", "MMVenue", "MMVenueClients", "TestSupport"]),
        .testTarget(
            name: "MMSimTests",
            dependencies: [
                "MMSim", "MMBook", "MMBinanceWire", "MMReplay", "MMBinanceAuth", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
