import Foundation
import MMVenue

/// A venue account's credentials, opened from the store. Its description never shows the secret.
public struct AccountCredentials: Sendable, CustomStringConvertible {
    public var name: String
    public var venue: VenueID
    public var apiKey: String
    public var secret: String

    /// The API key's first four and last two characters.
    public var maskedKeyID: String { AccountStore.mask(apiKey) }
    public var description: String { "\(name) (\(venue.rawValue), key \(maskedKeyID))" }
}

/// Accounts with their keys encrypted under the master key. A store remembers a sealed check value, so a
/// wrong master key is reported as such before anything is read or written.
public struct AccountStore: Sendable {
    let storage: any AccountStorage
    let key: MasterKey
    static let checkName = "master_key_check"
    static let checkText = Array("mm account store".utf8)
    static let checkAD = Array("mm-account-v1|store|check".utf8)

    /// Opens the store with `key`; a new store is bound to it.
    public init(storage: any AccountStorage, key: MasterKey) throws(AccountStoreError) {
        self.storage = storage
        self.key = key
        do {
            if let check = try storage.value(Self.checkName) {
                guard SecretBox.open(check, key: key, associatedData: Self.checkAD) == Self.checkText else {
                    throw AccountStoreError("wrong master key: it does not open this account store")
                }
            } else {
                try storage.setValue(Self.checkName, SecretBox.seal(Self.checkText, key: key, associatedData: Self.checkAD))
            }
        } catch let e as AccountStoreError {
            throw e
        } catch {
            throw AccountStoreError("account store: \(error)")
        }
    }

    static func mask(_ key: String) -> String { key.count <= 8 ? "****" : String(key.prefix(4)) + "…" + String(key.suffix(2)) }

    /// Adds an account; its name must be new, its key and secret non-empty and free of whitespace.
    public func add(name: String, venue: VenueID, apiKey: String, secret: String, nowMillis: Int64) throws(AccountStoreError) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw AccountStoreError("account name '\(name)': letters, digits, '-', '_' and '.' only, 1 to 64")
        }
        guard !apiKey.isEmpty, !apiKey.contains(where: \.isWhitespace) else { throw AccountStoreError("account \(name): the API key is empty or has whitespace") }
        guard !secret.isEmpty else { throw AccountStoreError("account \(name): the secret is empty") }
        do {
            guard try storage.accounts().contains(where: { $0.name == name }) == false else {
                throw AccountStoreError("account \(name) exists; remove it first")
            }
            try storage.insert(StoredAccount(
                name: name, venue: venue.rawValue,
                sealedKey: SecretBox.seal(Array(apiKey.utf8), key: key, associatedData: SecretBox.associatedData(account: name, venue: venue.rawValue, field: "api_key")),
                sealedSecret: SecretBox.seal(Array(secret.utf8), key: key, associatedData: SecretBox.associatedData(account: name, venue: venue.rawValue, field: "secret")),
                createdAtMillis: nowMillis))
        } catch let e as AccountStoreError {
            throw e
        } catch {
            throw AccountStoreError("account store: \(error)")
        }
    }

    /// Every account, opened.
    public func list() throws(AccountStoreError) -> [AccountCredentials] {
        let stored: [StoredAccount]
        do { stored = try storage.accounts() } catch { throw AccountStoreError("account store: \(error)") }
        var out: [AccountCredentials] = []
        for s in stored { out.append(try open(s)) }
        return out
    }

    /// One account, opened.
    public func account(_ name: String) throws(AccountStoreError) -> AccountCredentials {
        guard let a = try list().first(where: { $0.name == name }) else { throw AccountStoreError("no account named \(name)") }
        return a
    }

    private func open(_ s: StoredAccount) throws(AccountStoreError) -> AccountCredentials {
        guard let venue = VenueID(rawValue: s.venue) else { throw AccountStoreError("account \(s.name): unknown venue \(s.venue)") }
        guard let k = SecretBox.open(s.sealedKey, key: key, associatedData: SecretBox.associatedData(account: s.name, venue: s.venue, field: "api_key")),
            let x = SecretBox.open(s.sealedSecret, key: key, associatedData: SecretBox.associatedData(account: s.name, venue: s.venue, field: "secret"))
        else {
            throw AccountStoreError("account \(s.name): its key or secret does not open (altered, or moved from another account)")
        }
        return AccountCredentials(name: s.name, venue: venue, apiKey: String(decoding: k, as: UTF8.self), secret: String(decoding: x, as: UTF8.self))
    }

    public func remove(_ name: String) throws(AccountStoreError) {
        let removed: Bool
        do { removed = try storage.delete(name: name) } catch { throw AccountStoreError("account store: \(error)") }
        if !removed { throw AccountStoreError("no account named \(name)") }
    }

    /// Re-encrypts every account under `newKey` in one transaction; returns the store under the new key.
    public func rotate(to newKey: MasterKey) throws(AccountStoreError) -> AccountStore {
        let opened = try list()
        do {
            let stored = try storage.accounts()
            let resealed = stored.map { s -> StoredAccount in
                let a = opened.first { $0.name == s.name }!
                var r = s
                r.sealedKey = SecretBox.seal(Array(a.apiKey.utf8), key: newKey, associatedData: SecretBox.associatedData(account: s.name, venue: s.venue, field: "api_key"))
                r.sealedSecret = SecretBox.seal(Array(a.secret.utf8), key: newKey, associatedData: SecretBox.associatedData(account: s.name, venue: s.venue, field: "secret"))
                return r
            }
            try storage.replaceAll(resealed, values: [Self.checkName: SecretBox.seal(Self.checkText, key: newKey, associatedData: Self.checkAD)])
        } catch {
            throw AccountStoreError("account store: \(error)")
        }
        return try AccountStore(storage: storage, key: newKey)
    }
}
