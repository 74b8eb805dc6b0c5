#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SillageCore

/// Writes an export directory aside and renames it into place, so readers never see half of one.
///
/// Files are written into a hidden sibling directory and flushed to disk; only then is the
/// directory renamed to its final name. An existing export of the same name is swapped out
/// and removed after the new one is in place. If anything fails, the hidden directory is
/// removed and the previous export, if any, is left as it was.
public enum Publisher {
    /// Publishes `files` as `directory`; returns true when an earlier export was replaced.
    ///
    /// `personal` files (an access request's answer) are readable by their owner only: the
    /// directory is created with mode 0700 and the files with 0600.
    @discardableResult
    public static func publish(
        files: [(name: String, bytes: [UInt8])], to directory: String,
        personal: Bool = false
    ) throws(SillageError) -> Bool {
        try makeDirectories(parentOf: directory)
        let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? "."
        let base = directory.split(separator: "/").last.map(String.init) ?? directory
        recover(parent: parent, base: base, directory: directory)
        let staging = "\(parent)/.\(base).partial-\(getpid())"
        removeTree(staging)
        guard mkdir(staging, personal ? 0o700 : 0o755) == 0 else {
            let code = errno
            throw SillageError.runtime("cannot create the staging directory: \(systemErrorText(code))", at: staging)
        }
        do throws(SillageError) {
            for file in files {
                do throws(SillageError) {
                    try writeFile(file.bytes, to: "\(staging)/\(file.name)", mode: personal ? 0o600 : 0o644)
                } catch {
                    // Name the file as it would have been published, not the hidden staging copy.
                    throw SillageError(error.kind, error.message, at: "\(directory)/\(file.name)", hint: error.hint)
                }
            }
            try syncDirectory(staging)
            var info = stat()
            if stat(directory, &info) == 0 {
                let retired = "\(parent)/.\(base).replaced-\(getpid())"
                removeTree(retired)
                guard rename(directory, retired) == 0 else {
                    let code = errno
                    throw SillageError.runtime("cannot move the previous export aside: \(systemErrorText(code))", at: directory)
                }
                guard rename(staging, directory) == 0 else {
                    let code = errno
                    _ = rename(retired, directory)
                    throw SillageError.runtime("cannot publish the export: \(systemErrorText(code))", at: directory)
                }
                removeTree(retired)
                try syncDirectory(parent)
                return true
            } else if rename(staging, directory) != 0 {
                let code = errno
                throw SillageError.runtime("cannot publish the export: \(systemErrorText(code))", at: directory)
            }
            try syncDirectory(parent)
            return false
        } catch {
            removeTree(staging)
            throw error
        }
    }

    /// Publishes `files` into `directory`, beside the files already there (the reports of
    /// earlier days): each is written aside under a hidden name and flushed, and only when all
    /// are written are they renamed into place, so a failure publishes none of them.
    public static func publishFiles(_ files: [(name: String, bytes: [UInt8])], into directory: String) throws(SillageError) {
        try makeDirectories(directory)
        var staged: [(from: String, to: String)] = []
        do throws(SillageError) {
            for file in files {
                let path = "\(directory)/\(file.name)"
                let aside = "\(directory)/.\(file.name).partial-\(getpid())"
                staged.append((aside, path))
                do throws(SillageError) { try writeFile(file.bytes, to: aside) } catch {
                    throw SillageError(error.kind, error.message, at: path, hint: error.hint)
                }
            }
            for (from, to) in staged where rename(from, to) != 0 {
                let code = errno
                throw SillageError.runtime("cannot publish the file: \(systemErrorText(code))", at: to)
            }
            try syncDirectory(directory)
        } catch {
            for (from, _) in staged { unlink(from) }
            throw error
        }
    }

    /// Cleans up after a publisher that was killed: its staging directory is removed, and if
    /// it died between moving the old export aside and moving the new one in, the old export
    /// is put back.
    static func recover(parent: String, base: String, directory: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for entry in entries.sorted() {
            for marker in [".\(base).partial-", ".\(base).replaced-"] where entry.hasPrefix(marker) {
                guard let pid = Int32(entry.dropFirst(marker.count)), pid != getpid() else { continue }
                if kill(pid, 0) == 0 || errno != ESRCH { continue }  // its writer may still be running
                let path = "\(parent)/\(entry)"
                var info = stat()
                if marker.hasSuffix("replaced-"), stat(directory, &info) != 0, rename(path, directory) == 0 { continue }
                removeTree(path)
            }
        }
    }

    /// Writes a whole file and flushes it to disk.
    package static func writeFile(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SillageError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            throw SillageError.runtime("cannot create the file: \(systemErrorText(code))", at: path)
        }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            var n = Bytes.write(fd, bytes, from: written)
            if Failpoints.isOn("export-enospc") { n = -1; errno = ENOSPC }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SillageError.runtime(
                    "cannot write the file: \(systemErrorText(code))", at: path,
                    hint: code == ENOSPC ? "the disk is full; nothing was published" : nil)
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            throw SillageError.runtime("cannot flush the file to disk: \(systemErrorText(code))", at: path)
        }
    }

    static func syncDirectory(_ path: String) throws(SillageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = fsync(fd)
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
