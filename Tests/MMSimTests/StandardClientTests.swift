import Foundation
import MMSim
import TestSupport
import Testing

@Suite("Standard Binance clients against the simulated venue", .serialized)
struct StandardClientTests {
    @Test("CCXT binanceusdm, unchanged but for its URLs")
    func ccxtBinanceUSDM() async throws {
        try Tools.requirePython("ccxt", hint: "pip install ccxt; .ci/run installs it")
        let account = SimServer.Credentials.random()
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account]))
        let port = server.port
        let result = try await onThread {
            try run(["python3", Fixtures.packageRoot + "/scripts/ccxt_check.py", String(port), account.apiKey, account.secret])
        }
        try await server.shutdown()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ccxt ok"))
    }

    @Test("Binance's own connector (binance-futures-connector): every ordinary REST call, a bad signature, its WebSocket client")
    func binanceConnector() async throws {
        try Tools.requirePython("binance.um_futures", hint: "pip install binance-futures-connector; .ci/run installs it")
        let account = SimServer.Credentials.random()
        let server = try await SimServer.start(.init(recordings: [SimOrderTests.recording], accounts: [account]))
        let port = server.port
        let result = try await onThread {
            try run(["python3", Fixtures.packageRoot + "/scripts/connector_check.py", String(port), account.apiKey, account.secret])
        }
        try await server.shutdown()
        #expect(result.status == 0, "\(result.output)")
        let summary = result.output.split(separator: "\n").first { $0.hasPrefix("connector ok: ") }
        let calls = summary.flatMap { Int($0.split(separator: " ")[2]) } ?? 0
        #expect(calls >= 50, "\(result.output.suffix(2000))")
    }
}
