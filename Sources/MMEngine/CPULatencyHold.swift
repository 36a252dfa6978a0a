#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a CPU wake-up latency request (Linux PM QoS, `/dev/cpu_dma_latency`) for as long as it lives: with
/// 0 µs the cores poll when idle instead of sleeping, so that the next tick, socket write or frame does not
/// first wait for a core to wake (on a VM, for the host to run it again). Costs power; opt-in
/// (`tuning.cpuDmaLatencyUs`). The request ends when the file is closed (`release()` or the process's exit).
final class CPULatencyHold {
    static let path = "/dev/cpu_dma_latency"
    private var fd: Int32 = -1
    /// Why the request could not be made (nil: it is held).
    let failure: String?

    init(micros: Int32) {
        let fd = open(Self.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            failure = "cannot open \(Self.path): \(String(cString: strerror(errno)))"
            return
        }
        var value = micros
        guard write(fd, &value, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size else {
            failure = "cannot write \(Self.path): \(String(cString: strerror(errno)))"
            close(fd)
            return
        }
        self.fd = fd
        failure = nil
    }

    /// The latency the kernel now allows (µs), as `/dev/cpu_dma_latency` reports it; nil when unreadable.
    static func current() -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var value: Int32 = 0
        return read(fd, &value, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size ? value : nil
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
