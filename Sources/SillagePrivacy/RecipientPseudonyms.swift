import SillageCore

/// The pseudonyms one recipient sees for one period (SPEC §6 "Per-recipient pseudonyms").
///
/// `K(R,P) = HMAC-SHA256(derive(master, "recipient-pseudonyms"), R ‖ 0x00 ‖ P)`, and a
/// learner's exported pseudonym is `HMAC-SHA256(K(R,P), internal pseudonym)` truncated to
/// 128 bits, hex. Without the master key, two recipients (or one recipient's two periods)
/// cannot join their files on the pseudonym, and the store's internal pseudonyms never leave.
public struct RecipientPseudonyms: Sendable {
    private let hmac: HMACSHA256

    public init(master: MasterKey, recipient: String, period: String) {
        let base = master.derived("recipient-pseudonyms")
        let key = HMACSHA256(key: base).authenticate(Array(recipient.utf8) + [0] + Array(period.utf8))
        hmac = HMACSHA256(key: key)
    }

    /// The recipient's pseudonym for an internal one: 32 lower-case hex digits.
    public func pseudonym(_ actor: ActorKey) -> String {
        hexString(hmac.authenticate(actor.bytes).prefix(16))
    }
}
