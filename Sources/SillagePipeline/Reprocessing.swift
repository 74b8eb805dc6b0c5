#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillageStore

/// `--reprocess FILE`: takes a file's earlier contribution out of the store, in one
/// transaction, so that the run reads it again as new.
struct Reprocessing {
    var paths: [String]

    /// Checks each path against the inputs' files (by device and inode, so any spelling of
    /// one of them works) and removes what it contributed; returns the notices to give.
    func removeContributions(
        files: [String], store: Store, gap: Int64, run: Int64
    ) throws(SillageError) -> [String] {
        let inputs = files.filter { $0 != "-" }
        let identities = paths.isEmpty ? [] : inputs.map(Reprocessing.identity)
        // Every path is checked before anything is removed.
        var chosen: [String] = []
        for path in paths {
            guard let id = Reprocessing.identity(path), let k = identities.firstIndex(where: { $0 == id }) else {
                throw SillageError.usage(
                    "--reprocess \(path): not one of the pipeline's input files",
                    hint:
                        "give a file that an input's paths match; the pipeline reads \(inputs.prefix(5).joined(separator: ", "))\(inputs.count > 5 ? ", …" : "")"
                )
            }
            chosen.append(inputs[k])
        }
        var notices: [String] = []
        for path in chosen { notices.append(try removeContribution(of: path, store: store, gap: gap, run: run)) }
        return notices
    }

    private func removeContribution(of path: String, store: Store, gap: Int64, run: Int64) throws(SillageError) -> String {
        let opened = try InputFiles.open(path)
        let head = try PeekingReader(opened.reader).peek(LineChunkerDefaults.fingerprintBytes)
        var entry = try store.ledgerEntry(fingerprint: Store.fingerprint(head))
        if entry == nil { entry = try store.ledgerEntry(path: opened.displayName, head: head) }
        if entry == nil { entry = try store.ledgerEntries(path: opened.displayName).last }
        // A reading within --since/--until goes too: the file is read again whole.
        if let (windowed, _) = try store.windowedEntry(fingerprint: Store.fingerprint(head)) {
            _ = try store.removeContribution(of: windowed, gap: gap)
        }
        guard let entry else { return "\(opened.displayName): never read into this store; read now as a new file" }
        let removal = try store.removeContribution(of: entry, gap: gap)
        try store.journal(
            "reprocess", subject: "contribution of \(opened.displayName) removed to read it again",
            count: Int64(removal.sessions + removal.rows),
            details: .object([("sessions", .int(Int64(removal.sessions))), ("rows", .int(Int64(removal.rows)))]),
            run: run)
        return
            "\(opened.displayName): removed what it contributed before (\(removal.sessions) sessions removed or rebuilt, \(removal.rows) summary rows); reading it again"
    }

    private static func identity(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
