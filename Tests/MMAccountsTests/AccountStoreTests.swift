import Foundation
import MMAccounts
import MMVenue
import TestSupport
import Testing

@Suite("Encrypted account store")
struct AccountStoreTests {
    let key = MasterKey.random()
    let apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

    func temporaryStore() throws -> (path: String, storage: SQLiteAccountStorage) {
        let path = Fixtures.temporaryPath("accounts-\(UInt64.random(in: 0 ... .max)).sqlite")
        return (path, try SQLiteAccountStorage(path: path))
    }

    @Test func sealedSecretsOpenOnlyWithTheirKeyAndPlace() {
        let ad = SecretBox.associatedData(account: "a", venue: "mexc", field: "secret")
        let sealed = SecretBox.seal(Array("s3cret".utf8), key: key, associatedData: ad)
        #expect(SecretBox.open(sealed, key: key, associatedData: ad) == Array("s3cret".utf8))
        #expect(SecretBox.open(sealed, key: MasterKey.random(), associatedData: ad) == nil, "another key")
        #expect(SecretBox.open(sealed, key: key, associatedData: SecretBox.associatedData(account: "b", venue: "mexc", field: "secret")) == nil, "another account")
        #expect(SecretBox.open(sealed, key: key, associatedData: SecretBox.associatedData(account: "a", venue: "mexc", field: "api_key")) == nil, "another field")
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(SecretBox.open(tampered, key: key, associatedData: ad) == nil)
        #expect(SecretBox.seal(Array("s3cret".utf8), key: key, associatedData: ad) != sealed, "a fresh nonce each time")
    }

    @Test func accountsAddListRemoveAndNothingInClear() throws {
        let (path, storage) = try temporaryStore()
        let store = try AccountStore(storage: storage, key: key)
        try store.add(name: "mexc-main", venue: .mexc, apiKey: apiKey, secret: secret, nowMillis: 1)
        try store.add(name: "usdm", venue: .binanceUSDM, apiKey: "k2-abcdefgh", secret: "s2", nowMillis: 2)
        #expect(throws: AccountStoreError("account usdm exists; remove it first")) {
            try store.add(name: "usdm", venue: .binanceUSDM, apiKey: "k3-abcdefgh", secret: "s3", nowMillis: 3)
        }
        #expect(throws: AccountStoreError.self) { try store.add(name: "bad name", venue: .mexc, apiKey: "k", secret: "s", nowMillis: 3) }
        let listed = try store.list()
        #expect(listed.map(\.name) == ["mexc-main", "usdm"])
        #expect(listed[0].apiKey == apiKey && listed[0].secret == secret && listed[0].venue == .mexc)
        #expect(listed[0].maskedKeyID == "vmPU…8A" && !listed[0].description.contains(secret))
        // The database file holds ciphertext only.
        let bytes = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(!bytes.contains(apiKey) && !bytes.contains(secret) && !bytes.contains("k2-abcdefgh"))
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o077 == 0, "the database is its owner's only")
        try store.remove("usdm")
        #expect(try store.list().map(\.name) == ["mexc-main"])
        #expect(throws: AccountStoreError("no account named usdm")) { try store.remove("usdm") }
    }

    @Test func aWrongMasterKeyIsSaidPlainlyAndRotationMovesEverything() throws {
        let (path, storage) = try temporaryStore()
        let store = try AccountStore(storage: storage, key: key)
        try store.add(name: "a", venue: .mexc, apiKey: apiKey, secret: secret, nowMillis: 1)
        #expect(throws: AccountStoreError("wrong master key: it does not open this account store")) {
            _ = try AccountStore(storage: try SQLiteAccountStorage(path: path), key: MasterKey.random())
        }
        let newKey = MasterKey.random()
        let rotated = try store.rotate(to: newKey)
        #expect(try rotated.account("a").secret == secret)
        #expect(throws: AccountStoreError.self) { _ = try AccountStore(storage: try SQLiteAccountStorage(path: path), key: key) }
        #expect(try AccountStore(storage: try SQLiteAccountStorage(path: path), key: newKey).account("a").apiKey == apiKey)
    }

    @Test func aCiphertextMovedToAnotherAccountDoesNotOpen() throws {
        let (_, storage) = try temporaryStore()
        let store = try AccountStore(storage: storage, key: key)
        try store.add(name: "a", venue: .mexc, apiKey: apiKey, secret: secret, nowMillis: 1)
        try store.add(name: "b", venue: .mexc, apiKey: "other-key-123", secret: "other", nowMillis: 1)
        var rows = try storage.accounts()
        rows[1].sealedSecret = rows[0].sealedSecret
        try storage.replaceAll(rows, values: [:])
        #expect(throws: AccountStoreError("account b: its key or secret does not open (altered, or moved from another account)")) { _ = try store.list() }
    }

    @Test func masterKeyFromTheEnvironmentOrAnOwnerOnlyFile() throws {
        let hex = key.hex
        #expect(try MasterKeySource.load(environment: ["MM_MASTER_KEY": hex]).hex == hex)
        #expect(throws: AccountStoreError("MM_MASTER_KEY: not a key (64 hexadecimal digits)")) { _ = try MasterKeySource.load(environment: ["MM_MASTER_KEY": "abc"]) }
        let path = Fixtures.temporaryPath("master-\(UInt64.random(in: 0 ... .max)).key")
        let created = try MasterKeySource.create(at: path)
        #expect(try MasterKeySource.load(environment: ["MM_MASTER_KEY_FILE": path]).hex == created.hex)
        #expect(throws: AccountStoreError.self) { _ = try MasterKeySource.create(at: path) }
        chmod(path, 0o644)
        #expect(throws: AccountStoreError("master key file \(path) is readable by others (mode 644); chmod 600 it")) {
            _ = try MasterKeySource.load(environment: ["MM_MASTER_KEY_FILE": path])
        }
        #expect(throws: AccountStoreError.self) { _ = try MasterKeySource.load(environment: ["MM_MASTER_KEY_FILE": path + ".missing"]) }
    }
}
