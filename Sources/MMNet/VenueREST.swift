import NIOCore
import NIOHTTP1
import NIOPosix

/// One-off REST calls from outside the engine's threads (exchangeInfo at start, tools, tests).
public enum VenueREST {
    /// Sends a request and waits for the reply. `headers` are added as given (e.g. `X-MBX-APIKEY`).
    public static func send(
        _ method: String, _ endpoint: Endpoint, path: String, headers: [(String, String)] = [], timeoutSeconds: Int64 = 10
    ) async throws -> HTTPReply {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return try await HTTPClient.send(HTTPMethod(rawValue: method), endpoint, path: path, headers: headers, on: loop, timeout: .seconds(timeoutSeconds)).get()
    }
}
