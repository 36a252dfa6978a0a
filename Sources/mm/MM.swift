import ArgumentParser

/// The `mm` command line.
@main
struct MM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mm",
        abstract: "swift-market-maker: a low-latency market maker for Binance USDⓈ-M futures.",
        subcommands: [Run.self, Sim.self, Replay.self, Backtest.self, Soak.self, ValidateConfig.self, CancelAll.self, Flatten.self, Health.self, Accounts.self, Balance.self, Markets.self, Order.self, Rebalance.self]
    )
}
