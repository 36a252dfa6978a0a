#if canImport(Glibc)
import Glibc
#endif
import MMBinanceWire
import MMBook

/// A minimal blocking HTTP/1.1 and WebSocket (RFC 6455) client over POSIX sockets, written independently
/// of the server's NIO stack so the tests check the wire protocol, not shared code.
final class LoopbackSocket {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ClientError("connect to 127.0.0.1:\(port) failed")
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send failed") }
            sent += n
        }
    }

    /// Reads exactly `count` bytes.
    func read(_ count: Int) throws -> [UInt8] {
        while pending.count < count { try fill() }
        let out = Array(pending[0..<count])
        pending.removeFirst(count)
        return out
    }

    /// Reads through the next CRLF CRLF.
    func readHeaders() throws -> String {
        while true {
            if let r = find([13, 10, 13, 10]) {
                let out = Array(pending[0..<r + 4])
                pending.removeFirst(r + 4)
                return String(decoding: out, as: UTF8.self)
            }
            try fill()
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard pending.count >= needle.count else { return nil }
        for i in 0...(pending.count - needle.count) where Array(pending[i..<i + needle.count]) == needle { return i }
        return nil
    }

    private func fill() throws {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw ClientError(n == 0 ? "connection closed" : "receive timed out") }
        pending.append(contentsOf: buf[0..<n])
    }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// `GET path` with `Connection: close`; returns status and body.
func httpGet(port: Int, path: String) throws -> (status: Int, headers: String, body: [UInt8]) {
    try httpRequest(port: port, method: "GET", path: path)
}

/// Any request with `Connection: close`; returns status, raw headers and body.
func httpRequest(
    port: Int, method: String, path: String, headers: [(String, String)] = [], body: String = "", timeoutSeconds: Int = 5
) throws -> (status: Int, headers: String, body: [UInt8]) {
    let s = try LoopbackSocket(port: port, timeoutSeconds: timeoutSeconds)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    if !body.isEmpty {
        request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
    }
    request += "\r\n" + body
    try s.send(Array(request.utf8))
    let headers = try s.readHeaders()
    let status = Int(headers.split(separator: " ")[1]) ?? 0
    let lengthLine = headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
    let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters()) } ?? 0
    return (status, headers, try s.read(length))
}

extension Substring {
    func trimmingCharacters() -> String { String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

/// A WebSocket client connection reading server frames.
final class WebSocketClient {
    let socket: LoopbackSocket

    init(port: Int, path: String) throws {
        socket = try LoopbackSocket(port: port)
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try socket.send(Array(request.utf8))
        let headers = try socket.readHeaders()
        guard headers.hasPrefix("HTTP/1.1 101") else { throw ClientError("no upgrade: \(headers)") }
        // RFC 6455's example key has this well-known accept value.
        guard headers.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") else { throw ClientError("bad Sec-WebSocket-Accept") }
    }

    /// The next data frame's opcode and payload (control frames are returned too).
    func next() throws -> (opcode: UInt8, payload: [UInt8]) {
        let h = try socket.read(2)
        let opcode = h[0] & 0x0F
        var length = Int(h[1] & 0x7F)
        if length == 126 {
            let e = try socket.read(2)
            length = Int(e[0]) << 8 | Int(e[1])
        } else if length == 127 {
            let e = try socket.read(8)
            length = e.reduce(0) { $0 << 8 | Int($1) }
        }
        guard h[1] & 0x80 == 0 else { throw ClientError("server frames must not be masked") }
        return (opcode, try socket.read(length))
    }

    /// Sends a masked ping; the venue answers with a pong carrying `payload`.
    func sendPing(_ payload: String) throws {
        try send(opcode: 0x9, Array(payload.utf8))
    }

    /// Sends a masked pong (the answer to a venue ping).
    func sendPong(_ payload: [UInt8]) throws {
        try send(opcode: 0xA, payload)
    }

    /// Sends a masked text frame (clients must mask).
    func sendText(_ text: String) throws {
        try send(opcode: 0x1, Array(text.utf8))
    }

    private func send(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xFF))
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame.append(contentsOf: mask)
        for (i, b) in payload.enumerated() { frame.append(b ^ mask[i % 4]) }
        try socket.send(frame)
    }
}

/// Fetches the venue's 1000-level depth snapshot over REST and feeds it to `book`.
@discardableResult
func loadSnapshot(port: Int, into book: inout SyncedBook) throws -> SyncedBook.SnapshotOutcome {
    var s = MarketMessage()
    _ = try MarketDecoder.decode(try httpGet(port: port, path: "/fapi/v1/depth?symbol=BTCUSDT&limit=1000").body, into: &s)
    return book.onSnapshot(s.snapshot)
}
