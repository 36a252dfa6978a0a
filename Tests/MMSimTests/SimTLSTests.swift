import Foundation
import MMSim
import TestSupport
import Testing

@Suite("Simulated venue: TLS", .serialized)
struct SimTLSTests {
    @Test("https and wss with a throwaway self-signed certificate")
    func tls() async throws {
        try Tools.require("openssl", "curl", hint: "apt-get install openssl curl; .ci/run installs them")
        let dir = Fixtures.temporaryPath("tls")
        let cert = dir + "/cert.pem"
        let key = dir + "/key.pem"
        let made = try run(["sh", "-c", "mkdir -p \(dir) && openssl req -x509 -newkey rsa:2048 -nodes -keyout \(key) -out \(cert) -subj /CN=127.0.0.1 -days 1"])
        #expect(made.status == 0, "\(made.output)")
        var config = SimServer.Configuration(recordings: [SimOrderTests.recording])
        config.tlsCertificatePath = cert
        config.tlsKeyPath = key
        let server = try await SimServer.start(config)
        #expect(server.restURL.hasPrefix("https://") && server.streamURL.hasPrefix("wss://"))
        let url = server.restURL
        let ping = try await onThread { try run(["curl", "-sk", "--max-time", "5", url + "/fapi/v1/ping"]) }
        #expect(ping.output == "{}", "\(ping.output)")
        let upgrade = try await onThread {
            try run([
                "curl", "-sk", "-i", "--http1.1", "--max-time", "2", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket",
                "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                url + "/ws/btcusdt@bookTicker",
            ])
        }
        #expect(upgrade.output.hasPrefix("HTTP/1.1 101"), "\(upgrade.output.prefix(200))")
        // Plain HTTP to the TLS port gets nothing useful.
        let plain = try await onThread { try run(["curl", "-s", "--max-time", "2", "http://127.0.0.1:\(server.port)/fapi/v1/ping"]) }
        #expect(plain.output != "{}")
        try await server.shutdown()
        _ = try? run(["rm", "-rf", dir])
    }
}
