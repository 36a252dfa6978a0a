import Foundation

/// Where the master key comes from: `MM_MASTER_KEY` (64 hex digits) in the environment, or a key file
/// (`MM_MASTER_KEY_FILE`, default `~/.config/mm/master.key`) that only its owner may read.
public enum MasterKeySource {
    public static func load(environment: [String: String]) throws(AccountStoreError) -> MasterKey {
        if let hex = environment["MM_MASTER_KEY"], !hex.isEmpty {
            guard let key = MasterKey(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw AccountStoreError("MM_MASTER_KEY: not a key (64 hexadecimal digits)")
            }
            return key
        }
        let path = environment["MM_MASTER_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultKeyFile(environment)
        return try read(path)
    }

    /// `~/.config/mm/master.key`.
    public static func defaultKeyFile(_ environment: [String: String]) -> String {
        (environment["HOME"] ?? NSHomeDirectory()) + "/.config/mm/master.key"
    }

    /// A key file: owned by this user, readable by nobody else, holding 64 hex digits.
    public static func read(_ path: String) throws(AccountStoreError) -> MasterKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AccountStoreError("no master key: set MM_MASTER_KEY or create the key file \(path) (`mm accounts new-master-key --out \(path)`)")
        }
        guard info.st_uid == getuid() else { throw AccountStoreError("master key file \(path) belongs to another user") }
        guard info.st_mode & 0o077 == 0 else {
            throw AccountStoreError("master key file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let key = MasterKey(hex: text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw AccountStoreError("master key file \(path) does not hold a key (64 hexadecimal digits)")
        }
        return key
    }

    /// Writes a new random key to `path`, readable by its owner only; refuses to overwrite.
    public static func create(at path: String) throws(AccountStoreError) -> MasterKey {
        guard !FileManager.default.fileExists(atPath: path) else { throw AccountStoreError("\(path) exists; a master key is never overwritten") }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        let key = MasterKey.random()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw AccountStoreError("cannot create \(path): \(String(cString: strerror(errno)))") }
        let text = Array((key.hex + "\n").utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == text.count else { throw AccountStoreError("cannot write \(path)") }
        return key
    }
}

/// A problem with the account store, worded for the operator; never holds a secret.
public struct AccountStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
