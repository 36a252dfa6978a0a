internal import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a recording could not be read.
public struct ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads a text file line by line, transparently inflating gzip (including concatenated members).
/// Lines are returned as views into an internal buffer, valid until the next call.
public final class LineReader {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var gzip: Bool
    private var stream = z_stream()
    private var streamOpen = false
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 20
    private var lo = 0
    private var hi = 0
    private var eof = false
    /// Number of lines returned so far.
    public private(set) var lineNumber = 0

    /// Opens `path`; gzip is detected from the magic bytes, not the name.
    public init(path: String) throws(ReplayError) {
        self.path = path
        guard let f = fopen(path, "rb") else {
            throw ReplayError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        file = f
        input = .allocate(capacity: inputCapacity)
        buffer = .allocate(capacity: capacity)
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { fread($0.baseAddress, 1, 2, f) }
        gzip = n == 2 && magic.0 == 0x1F && magic.1 == 0x8B
        rewind(f)
        if gzip {
            let rc = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                fclose(f)
                throw ReplayError("cannot initialise gzip decoder for \(path) (zlib \(rc))")
            }
            streamOpen = true
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        fclose(file)
        input.deallocate()
        buffer.deallocate()
    }

    /// The next line without its terminator, or `nil` at the end of the file.
    public func nextLine() throws(ReplayError) -> UnsafeRawBufferPointer? {
        while true {
            if lo < hi, let nl = memchr(buffer + lo, 0x0A, hi - lo) {
                let end = UnsafeMutableRawPointer(nl).assumingMemoryBound(to: UInt8.self) - buffer
                var lineEnd = end
                if lineEnd > lo && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(start: buffer + lo, count: lineEnd - lo)
                lo = end + 1
                lineNumber += 1
                return line
            }
            if eof {
                guard lo < hi else { return nil }
                let line = UnsafeRawBufferPointer(start: buffer + lo, count: hi - lo)
                lo = hi
                lineNumber += 1
                return line
            }
            try refill()
        }
    }

    private func refill() throws(ReplayError) {
        if lo > 0 {
            memmove(buffer, buffer + lo, hi - lo)
            hi -= lo
            lo = 0
        }
        if hi == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: hi)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        if !gzip {
            let n = fread(buffer + hi, 1, capacity - hi, file)
            if n == 0 {
                if ferror(file) != 0 { throw ReplayError("read error in \(path)") }
                eof = true
            }
            hi += n
            return
        }
        if stream.avail_in == 0 {
            let n = fread(input, 1, inputCapacity, file)
            if n == 0 {
                if ferror(file) != 0 { throw ReplayError("read error in \(path)") }
                eof = true
                return
            }
            stream.next_in = input
            stream.avail_in = UInt32(n)
        }
        stream.next_out = buffer + hi
        stream.avail_out = UInt32(capacity - hi)
        let before = stream.avail_out
        let rc = inflate(&stream, Z_NO_FLUSH)
        hi += Int(before - stream.avail_out)
        switch rc {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            // Another gzip member may follow.
            inflateReset(&stream)
        default:
            throw ReplayError("corrupt gzip data in \(path) (zlib \(rc))")
        }
    }
}
