import Foundation
import TestSupport
import Testing

@Suite("The backtester and the venue core build without the network stack")
struct DependencyTests {
    @Test func noNIOInTheBacktesterOrTheVenueCore() throws {
        let described = try run(["swift", "package", "--package-path", Fixtures.packageRoot, "--scratch-path", Fixtures.temporaryPath("describe"), "describe", "--type", "json"])
        #expect(described.status == 0, "\(described.output.prefix(500))")
        let json = described.output[described.output.firstIndex(of: "{")!...]
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var targets: [String: [String: Any]] = [:]
        for t in doc["targets"] as? [[String: Any]] ?? [] { targets[t["name"] as! String] = t }
        for root in ["MMBacktest", "MMSimCore", "MMVenue", "MMRebalance"] {
            var seen: Set<String> = []
            var stack = [root]
            var products: [String] = []
            while let name = stack.popLast() {
                guard seen.insert(name).inserted, let t = targets[name] else { continue }
                stack += t["target_dependencies"] as? [String] ?? []
                products += t["product_dependencies"] as? [String] ?? []
            }
            #expect(seen.count > 1)
            #expect(!seen.contains("MMSim") && !seen.contains { $0.contains("NIO") }, "\(root) depends on \(seen.sorted())")
            #expect(products.isEmpty, "\(root) pulls in products \(products)")
        }
        #expect(targets["MMSim"] != nil && targets["MMSimCore"] != nil)
    }
}
