import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Where a venue service lives: `http(s)://host[:port]` or `ws(s)://host[:port][/path]`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool
    /// Path prefix (e.g. `/ws-fapi/v1`), empty for none.
    public var path: String
    /// PEM file of extra trusted certificate authorities (a TLS-intercepting proxy, a test venue); nil: the
    /// system's trust roots only.
    public var trustedCAFile: String?

    public init(host: String, port: Int, tls: Bool = false, path: String = "") {
        self.host = host
        self.port = port
        self.tls = tls
        self.path = path
    }

    /// Parses a URL; `nil` if the scheme is not http, https, ws or wss or the port is invalid.
    public init?(url: String) {
        let schemes: [(String, Bool, Int)] = [("https://", true, 443), ("wss://", true, 443), ("http://", false, 80), ("ws://", false, 80)]
        guard let (prefix, tls, defaultPort) = schemes.first(where: { url.hasPrefix($0.0) }) else { return nil }
        var rest = url.dropFirst(prefix.count)
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        if path.hasSuffix("/") { path.removeLast() }
        var host = String(rest)
        var port = defaultPort
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), p > 0, p < 65536 else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port, tls: tls, path: path)
    }

    public var description: String { (tls ? "tls://" : "tcp://") + "\(host):\(port)\(path)" }

    /// The `Host` header value.
    var hostHeader: String { (port == 443 && tls) || (port == 80 && !tls) ? host : "\(host):\(port)" }

    /// Adds a TLS client handler (verifying the venue's certificate) when the endpoint uses TLS.
    func addTLSIfNeeded(to channel: Channel) throws {
        guard tls else { return }
        let handler = try NIOSSLClientHandler(context: try TLSContexts.context(trustedCAFile: trustedCAFile), serverHostname: host.first?.isNumber == true ? nil : host)
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}

/// Client TLS contexts, built once per trust configuration (building one parses the trust store).
enum TLSContexts {
    private static let cache = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    static func context(trustedCAFile: String?) throws -> NIOSSLContext {
        let key = trustedCAFile ?? ""
        return try cache.withLockedValue { cache in
            if let c = cache[key] { return c }
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let file = trustedCAFile {
                configuration.additionalTrustRoots = [.file(file)]
            }
            let c = try NIOSSLContext(configuration: configuration)
            cache[key] = c
            return c
        }
    }
}
