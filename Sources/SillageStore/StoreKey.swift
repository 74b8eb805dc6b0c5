import SillageCore
import SillagePrivacy

/// The store remembers which master key its pseudonyms were made with (SPEC §6), as a keyed
/// fingerprint that reveals nothing of the key: with any other key every pseudonym changes,
/// so everyone who opted out or was erased would be read in again as a new person.
extension Store {
    /// The fingerprint of `key` that the store keeps (hex of a key derived for this purpose).
    static func fingerprint(of key: MasterKey) -> String {
        hexString(HMACSHA256(key: key.derived("store-fingerprint")).authenticate(Array("sillage store key".utf8)))
    }

    /// Records the key's fingerprint in a store that has none; refuses (exit 2) a key other
    /// than the one the store was made with.
    public func checkKey(_ key: MasterKey, keyFile: String) throws(SillageError) {
        let fingerprint = Store.fingerprint(of: key)
        let q = try database.prepare("SELECT value FROM meta WHERE key = 'key_fingerprint'")
        if try q.step() {
            let known = q.text(0)
            q.reset()
            guard known == fingerprint else {
                throw SillageError.configuration(
                    "this store was made with another master key; with this one every pseudonym would change and people who objected or were erased would be read in again as new people",
                    at: keyFile,
                    hint: "give the store's own key (the pipeline's key.file, or --key-file); a new key needs a new store")
            }
            return
        }
        try database.prepare("INSERT INTO meta(key, value) VALUES ('key_fingerprint', ?)").bind([.text(fingerprint)]).run()
    }
}
