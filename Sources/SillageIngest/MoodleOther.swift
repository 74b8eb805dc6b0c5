import SillageCore
import SillagePrivacy

/// Reads one value from Moodle's `other` column, which holds JSON or PHP-serialised data.
///
/// Only scalar members of the top level are looked up (`completionstate`, `q`,
/// `searchterm`), so a full PHP unserialiser is not needed: the key is located as
/// `s:<len>:"key";` and the value read as `i:<n>;`, `b:<0|1>;`, `d:<x>;` or `s:<n>:"...";`.
enum MoodleOther {
    /// The bytes of member `key`: a string's content or a number's text.
    static func value(_ other: UnsafeRawBufferPointer, _ key: String, tape: inout JSONTape, into out: inout [UInt8]) -> Bool {
        var i = 0
        while i < other.count, other[i] == 0x20 { i += 1 }
        guard i < other.count else { return false }
        if other[i] == UInt8(ascii: "{") {
            guard tape.parse(other), let root = tape.root else { return false }
            for (k, v) in tape.members(root) where tape.string(k) == key {
                switch tape.kind(v) {
                case .string, .number:
                    tape.appendUnescaped(v, to: &out)
                    return true
                case .bool:
                    out.append(tape.nodes[v].flag ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                    return true
                default:
                    return false
                }
            }
            return false
        }
        // PHP: a:2:{s:15:"completionstate";i:1;s:1:"q";s:5:"hello";}
        let needle = Array("s:\(key.utf8.count):\"\(key)\";".utf8)
        let bytes = Array(other)
        guard let at = ObjectKeys.find(bytes, needle) else { return false }
        var j = at + needle.count
        guard j + 2 <= bytes.count else { return false }
        let type = bytes[j]
        j += 2
        switch type {
        case UInt8(ascii: "i"), UInt8(ascii: "d"), UInt8(ascii: "b"):
            while j < bytes.count, bytes[j] != UInt8(ascii: ";") { out.append(bytes[j]); j += 1 }
            return true
        case UInt8(ascii: "s"):
            var length = 0
            while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57 { length = length * 10 + Int(bytes[j] - 48); j += 1 }
            guard j + 2 + length <= bytes.count, bytes[j] == UInt8(ascii: ":"), bytes[j + 1] == UInt8(ascii: "\"") else { return false }
            out.append(contentsOf: bytes[(j + 2)..<(j + 2 + length)])
            return true
        default:
            return false
        }
    }
}
