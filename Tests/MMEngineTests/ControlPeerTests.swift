@testable import MMEngine
import MMTelemetry
import Testing

@Suite("Control endpoint peers")
struct ControlPeerTests {
    @Test func refusesNonLoopbackPeersEvenWithTheToken() async throws {
        var options = RunOptions()
        options.environment = ["MM_CONTROL_TOKEN": "tok"]
        let engine = Engine(config: try EngineConfig.parse(yaml: "", environment: [:]), options: options)
        let request = { (ip: String) in
            OpsRequest(method: "POST", path: "/control/halt", query: "", headers: [("Authorization", "Bearer tok")], body: [], remoteIP: ip)
        }
        let remote = await engine.serveControl(request("192.168.1.9"))
        #expect(remote.status == 403 && remote.body.contains("loopback"))
        let mapped = await engine.serveControl(request("::ffff:10.1.2.3"))
        #expect(mapped.status == 403)
        // From loopback with the token it gets through to the engine (not started here).
        let local = await engine.serveControl(request("127.0.0.1"))
        #expect(local.status == 503 && local.body.contains("not started"))
    }
}
