#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillageExport

/// Writes the first rejected records of a run to a private file beside the store.
///
/// The samples hold raw log lines, so they never go to the terminal, the run report or an
/// export: they go to `<store directory>/rejects/run-<id>.tsv`, a file of mode 0600 in a
/// directory of mode 0700, for the operator who must fix the input. One line per sample:
/// file, line number (`statement N` in a JSON document), reason, and the raw record with tabs, newlines, backslashes and bytes
/// that are not printable UTF-8 escaped.
public enum RejectFile {
    public struct Sample {
        public var file: String
        public var line: Int
        public var reason: RejectReason
        public var bytes: [UInt8]
        public var isStatement = false
    }

    /// The path of the reject file of run `run` for the store at `store`.
    public static func path(store: String, run: Int64) -> String {
        let directory = store.lastIndex(of: "/").map { String(store[..<$0]) } ?? "."
        return "\(directory)/rejects/run-\(run).tsv"
    }

    /// Writes the samples; returns the path, or nil when there is nothing to write.
    @discardableResult
    public static func write(_ samples: [Sample], store: String, run: Int64) throws(SillageError) -> String? {
        guard !samples.isEmpty else { return nil }
        let path = path(store: store, run: run)
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try makeDirectories(directory, mode: 0o700)
        chmod(directory, 0o700)
        var out: [UInt8] = Array("file\tline\treason\trecord\n".utf8)
        for s in samples {
            out += escaped(Array(s.file.utf8))
            out += Array("\t\(s.isStatement ? "statement \(s.line)" : "\(s.line)")\t\(s.reason.name)\t".utf8)
            out += escaped(s.bytes)
            out.append(0x0A)
        }
        try Publisher.writeFile(out, to: path, mode: 0o600)
        chmod(path, 0o600)
        return path
    }

    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x20..<0x7F: out.append(c)
            default:
                // Keep valid multi-byte UTF-8 as is; escape anything else.
                let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0
                if length > 0, i + length <= bytes.count,
                    String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil
                {
                    out += bytes[i..<(i + length)]
                    i += length
                    continue
                }
                out += [0x5C, UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
            i += 1
        }
        return out
    }
}
