import ArgumentParser
import Foundation
import MMCore
import MMSim

#if canImport(Glibc)
import Glibc
#endif

/// `mm soak`: the engine against the simulated venue at accelerated time under random faults, checked
/// from the venue's side.
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine against the simulated venue under random injected faults and check its invariants.",
        discussion: """
            Starts the simulated venue in this process (auditing every order, fill, snapshot and fault) and `mm run` \
            as a child process against it, replays the shipped recording at --speed, and fires every fault the venue \
            can inject at random (seeded): stream closes, diff gaps, market-data stalls, 5xx, 429/-1003 bursts with \
            Retry-After, clock skew (-1021), listen-key expiry, delayed and unanswered REST requests, WebSocket API \
            outages, malformed frames on every stream; kills the engine with SIGKILL and restarts it; halts and resumes it as an operator would, and \
            raises its loss limit after each loss halt. Invariants are checked continuously against the venue's own \
            books: net position within netMax, no new order after a loss limit or an operator halt, none while the \
            book is out of sync or stale, no duplicate client order ID, no order left after a halt or at shutdown, \
            every fault followed by quoting again, and the API key, secret and control token in no output. \
            Writes everything to --out; the last line on stdout is the JSON report. Exit 0 when it shows no \
            violation and every fault fired.
            """
    )

    @Flag(help: "One simulated hour at 30× (about 2.5 minutes).")
    var short = false

    @Option(help: "Simulated minutes of market (default: 180, or 60 with --short).")
    var simMinutes: Double?

    @Option(help: "Market speed: simulated seconds per wall second (default: 20, or 30 with --short).")
    var speed: Double?

    @Option(help: "Seed of the fault schedule.")
    var seed: UInt64 = 1

    @Option(help: "Directory for the engine's logs, journal, summaries and the report (default: state/soak-<time>).")
    var out: String?

    func run() async throws {
        let speed = self.speed ?? (short ? 30 : 20)
        let minutes = simMinutes ?? (short ? 60 : 180)
        guard speed > 0, minutes > 0 else { throw ValidationError("--speed and --sim-minutes must be positive") }
        let dir = out ?? "state/soak-\(UnixNanos.now().millis / 1000)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let plan = SoakPlan(seed: seed, wallSeconds: minutes * 60 / speed, speed: speed)
        let report = try await SoakRun(plan: plan, directory: dir, recording: try shippedRecording()).run()
        let json = report.json()
        try json.write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
        printError("mm soak: \(report.violations) violation(s), \(report.faultsFired) faults fired; logs and report in \(dir)")
        print(json)
        if !report.passed { throw ExitCode(1) }
    }
}

/// When things happen in a soak run: a seeded schedule of faults and operator actions over the wall time.
struct SoakPlan {
    enum Action: Equatable {
        case fault(FaultRule)
        case kill
        case operatorHalt
        case operatorResume
    }

    let seed: UInt64
    let wallSeconds: Double
    let speed: Double
    /// (seconds after the engine is up, action), in time order.
    private(set) var schedule: [(at: Double, action: Action)] = []
    /// Faults end this long before the run does, so the last one can be seen to recover.
    static let quietSeconds = 15.0

    /// Every fault the venue can inject, with parameters that make each one bite.
    static let faults: [FaultRule] = [
        FaultRule(kind: .wsClose),
        FaultRule(kind: .gap),
        FaultRule(kind: .stall, durationSeconds: 3),
        FaultRule(kind: .http5xx),
        FaultRule(kind: .rateLimit, durationSeconds: 3),
        FaultRule(kind: .clockSkew, milliseconds: 7_000),
        FaultRule(kind: .listenKeyExpire),
        FaultRule(kind: .delay, milliseconds: 4_000),
        FaultRule(kind: .drop),
        FaultRule(kind: .wsAPIDown, durationSeconds: 4),
        FaultRule(kind: .garbage),
        FaultRule(kind: .cancelAllRefuse, durationSeconds: 3),
        FaultRule(kind: .wsAPIDrop, durationSeconds: 2),
        FaultRule(kind: .userSilent, durationSeconds: 5),
    ]

    init(seed: UInt64, wallSeconds: Double, speed: Double) {
        self.seed = seed
        self.wallSeconds = wallSeconds
        self.speed = speed
        var rng = SimRandom(seed: seed)
        let end = wallSeconds - Self.quietSeconds
        // Rounds of every fault in a random order, at random gaps of 2–5 s, until the quiet period.
        var t = 3.0
        var round: [FaultRule] = []
        while t < end {
            if round.isEmpty { round = Self.faults.shuffled(using: &rng) }
            let rule = round.removeLast()
            schedule.append((t, .fault(rule)))
            if rule.kind == .clockSkew {
                // Skew comes and goes: cleared a few seconds later.
                schedule.append((t + 4, .fault(FaultRule(kind: .clockSkew, milliseconds: 0))))
            }
            t += 2 + 3 * rng.nextUnit()
        }
        // One SIGKILL + restart around 40 % of the run. An operator halt (4 s) around 60 % while cancel-alls
        // are refused, and another around 80 % while the venue answers REST with 429 for 4 s.
        schedule.append((end * (0.35 + 0.1 * rng.nextUnit()), .kill))
        let halt = end * (0.55 + 0.1 * rng.nextUnit())
        schedule.append((halt - 0.2, .fault(FaultRule(kind: .cancelAllRefuse, durationSeconds: 3))))
        schedule.append((halt, .operatorHalt))
        schedule.append((halt + 4, .operatorResume))
        let limited = end * (0.75 + 0.1 * rng.nextUnit())
        schedule.append((limited, .fault(FaultRule(kind: .rateLimit, durationSeconds: 4))))
        schedule.append((limited + 0.5, .operatorHalt))
        schedule.append((limited + 8, .operatorResume))
        schedule.sort { $0.at < $1.at }
    }
}
