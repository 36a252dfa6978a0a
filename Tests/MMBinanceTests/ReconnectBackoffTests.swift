import MMNet
import MMSimCore
import NIOCore
import Testing

@Suite("Reconnect backoff")
struct ReconnectBackoffTests {
    @Test func fullJitterUnderADoublingStepThatStopsAtTheCapAndResets() {
        var rng = SimRandom(seed: 3)
        var b = ReconnectBackoff(initial: .milliseconds(100), cap: .seconds(1))
        var steps: [Int64] = []
        for _ in 0..<6 {
            let step = b.step.nanoseconds
            let wait = b.next(using: &rng).nanoseconds
            #expect(wait >= 0 && wait <= step, "within [0, step]")
            steps.append(step / 1_000_000)
        }
        #expect(steps == [100, 200, 400, 800, 1000, 1000])
        b.reset()
        #expect(b.step == .milliseconds(100))
    }
}
