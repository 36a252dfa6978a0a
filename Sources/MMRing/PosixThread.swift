#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A named, joinable OS thread for the engine's dedicated loops (ingest, strategy, gateway).
public final class PosixThread: @unchecked Sendable {
    private var handle: pthread_t?
    public let name: String

    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread named `name` (first 15 bytes are visible to the OS).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        #if canImport(Glibc)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            PosixThread.setCurrentName(box.name)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        handle = tid
        #else
        var tid: pthread_t?
        let rc = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        handle = tid
        #endif
    }

    /// Names the calling thread as shown by `top -H` and `ps -L` (Linux: first 15 bytes).
    public static func setCurrentName(_ name: String) {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        var bytes = Array(name.utf8.prefix(15))
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #endif
    }

    /// Waits for the thread to finish. Call at most once.
    public func join() {
        guard let h = handle else { return }
        handle = nil
        #if canImport(Glibc)
        pthread_join(h, nil)
        #else
        pthread_join(h!, nil)
        #endif
    }
}
