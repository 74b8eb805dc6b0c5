import Testing
@testable import SillageCore
@testable import SillagePrivacy

/// FIPS 180-4 example messages and their SHA-256 digests.
@Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
])
func sha256MatchesFIPSVectors(message: String, digest: String) {
    #expect(hexString(SHA256.hash(Array(message.utf8))) == digest)
}

@Test func sha256OfOneMillionAs() {
    var hasher = SHA256()
    let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
    for _ in 0..<1000 { hasher.update(block) }
    #expect(hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256IsIndependentOfHowTheInputIsSplit() {
    let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let whole = SHA256.hash(message)
    for cut in [0, 1, 55, 56, 63, 64, 65, 128, 299] {
        var hasher = SHA256()
        hasher.update(message[..<cut])
        hasher.update(message[cut...])
        #expect(hasher.finalize() == whole, "split at \(cut)")
    }
}

/// RFC 4231 test cases 1–7 (case 5 compares the 128-bit truncation).
@Test(arguments: [
    (
        String(repeating: "0b", count: 20), hexOf("Hi There"),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    (
        hexOf("Jefe"), hexOf("what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ),
    (
        String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    ),
    (
        "0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ),
    (String(repeating: "0c", count: 20), hexOf("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"),
    (
        String(repeating: "aa", count: 131), hexOf("Test Using Larger Than Block-Size Key - Hash Key First"),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
    (
        String(repeating: "aa", count: 131),
        hexOf(
            "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
        ),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ),
])
func hmacMatchesRFC4231(key: String, data: String, expected: String) throws {
    let tag = HMACSHA256(key: try #require(bytesFromHex(key))).authenticate(try #require(bytesFromHex(data)))
    #expect(hexString(tag).hasPrefix(expected))
}

func hexOf(_ text: String) -> String { hexString(Array(text.utf8)) }

@Test func pseudonymFollowsTheSpecFormula() throws {
    let key = [UInt8](repeating: 7, count: 32)
    let pseudonymiser = Pseudonymiser(key: key)
    let expected = HMACSHA256(key: key).authenticate(Array("web-user".utf8) + [0] + Array("alice".utf8))
    let actor = pseudonymiser.pseudonym(namespace: "web-user", identifier: "alice")
    #expect(actor.hex == hexString(expected.prefix(16)))
    #expect(ActorKey(hex: actor.hex) == actor)
}

@Test func namespacesKeepIdentifiersApart() {
    let pseudonymiser = Pseudonymiser(key: [UInt8](repeating: 1, count: 32))
    #expect(
        pseudonymiser.pseudonym(namespace: "web-user", identifier: "42")
            != pseudonymiser.pseudonym(namespace: "moodle-userid", identifier: "42"))
    let otherKey = Pseudonymiser(key: [UInt8](repeating: 2, count: 32))
    #expect(
        pseudonymiser.pseudonym(namespace: "web-user", identifier: "42")
            != otherKey.pseudonym(namespace: "web-user", identifier: "42"))
}
