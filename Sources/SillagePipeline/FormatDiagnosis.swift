import SillageCore
import SillagePrivacy
import SillageIngest

/// Guesses why most lines of a file were rejected, from the first rejected line.
///
/// Runs only when a file fails its reject-rate check, never per line.
public enum FormatDiagnosis {
    public static func likelyCause(declared: String, sample: [UInt8]?) -> String {
        guard let sample, !sample.isEmpty else { return "the file may be in another format than \(declared)" }
        var line = sample
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
        let first = line.first(where: { $0 != 0x20 && $0 != 0x09 })
        // Every access-log reader tries the line; the first that reads it is named.
        let scores = FormatSniffer.score(
            head: line + [0x0A], input: InputDefinition(type: declared, paths: []), zone: ZoneRules(fixedOffsetSeconds: 0))
        if let match = scores.first(where: { $0.type != declared && $0.read > 0 && $0.read == $0.records }) {
            return "the lines match the \(match.type) format, not \(declared)"
        }
        // Every type a hint names is one the registry has (a test checks the hints' names).
        let jsonTypes = ["openedx-tracking", "xapi"].filter { StageRegistry.ingest[$0] != nil }
        if first == UInt8(ascii: "{") {
            let others = jsonTypes.filter { $0 != declared }
            guard !jsonTypes.contains(declared) else {
                return
                    "the lines are JSON objects, but not \(declared) records\(others.isEmpty ? "" : "; they may be \(others.joined(separator: " or ")) records")"
            }
            return "the lines look like JSON objects (\(jsonTypes.joined(separator: " or ")) records), not \(declared)"
        }
        if first == UInt8(ascii: "[") && line.contains(UInt8(ascii: "{")) {
            guard declared != "xapi" else { return "the file is a JSON array that xapi could not read: check that it is complete, valid JSON" }
            return "the file looks like a JSON array (xapi statements), not \(declared)"
        }
        if line.starts(with: Array("id,eventname".utf8)) || line.starts(with: Array("\"id\",\"eventname\"".utf8)) {
            return "the file looks like a Moodle logstore CSV export, not \(declared)"
        }
        if let utf8 = String(validating: line, as: UTF8.self), utf8.hasPrefix("Time,") || utf8.hasPrefix("\"Time\"") {
            return "the file looks like a Moodle Logs report CSV, not \(declared)"
        }
        if line.starts(with: [0x1f, 0x8b]) { return "the content is still compressed" }
        if line.count > 0 && line.allSatisfy({ $0 == 0 }) { return "the file holds NUL bytes (a damaged or preallocated log)" }
        guard declared == "apache" || declared == "nginx" else { return "the lines do not match \(declared)" }
        return "the lines do not match \(declared); check the logFormat against the server's configuration"
    }
}
