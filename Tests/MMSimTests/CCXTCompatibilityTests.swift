import Foundation
import MMSim
import TestSupport
import Testing

/// True when Python can import CCXT (CI installs it; elsewhere this test is reported as skipped).
let ccxtInstalled: Bool = (try? run(["python3", "-c", "import ccxt"]).status) == 0

@Suite("Standard Binance clients against the simulated venue", .serialized)
struct CCXTCompatibilityTests {
    @Test("CCXT binanceusdm, unchanged but for its URLs", .enabled(if: ccxtInstalled, "needs `pip install ccxt`"))
    func ccxtBinanceUSDM() async throws {
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
}
