#if canImport(Glibc)
    import Glibc
#endif
import SillageCore

/// The 32-byte master key, read from or written to a private file (SPEC §6).
///
/// The file holds exactly 32 raw bytes (64 hexadecimal digits are also accepted on read).
/// A key file that group or others can read is refused: a leaked key turns pseudonyms back
/// into identities for anyone holding the logs.
public struct MasterKey: Sendable {
    public static let size = 32
    /// The key bytes; never printed, logged or stored.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(SillageError) {
        guard bytes.count == MasterKey.size else {
            throw SillageError.configuration("a master key must be \(MasterKey.size) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Reads the key at `path`, checking its permissions first.
    public static func load(path: String) throws(SillageError) -> MasterKey {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            throw SillageError.configuration(
                "cannot read the key file: \(systemErrorText(code))", at: path,
                hint: "create one with `sillage keys init --key-file \(path)`")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SillageError.configuration("the key file is not a regular file", at: path)
        }
        if info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw SillageError.configuration(
                "the key file is readable by group or others (mode \(mode)); refusing to use it",
                at: path, hint: "run `chmod 600 \(path)`, and rotate the key if others may have read it")
        }
        try checkOwnerAndDirectory(path, info)
        let content = try readWholeFile(path, limit: 4096)
        var text = content
        while let last = text.last, last == 0x0A || last == 0x0D || last == 0x20 { text.removeLast() }
        let bytes: [UInt8]
        if content.count == size {
            bytes = content
        } else if text.count == 2 * size, let decoded = bytesFromHex(String(decoding: text, as: UTF8.self)) {
            bytes = decoded
        } else {
            throw SillageError.configuration(
                "the key file must hold 32 raw bytes or 64 hex digits, it holds \(content.count) bytes",
                at: path)
        }
        // 32 random bytes take about 30 distinct values; fewer than 12 is all but impossible.
        let distinct = Set(bytes).count
        guard distinct >= minimumDistinctBytes else {
            throw SillageError.configuration(
                "the key file holds a low-entropy key (\(distinct) distinct byte value\(distinct == 1 ? "" : "s") in 32); refusing to use it",
                at: path, hint: "pseudonyms made with a guessable key can be reversed: create a random key with `sillage keys init`")
        }
        return try MasterKey(bytes: bytes)
    }

    static let minimumDistinctBytes = 12

    /// Refuses a key file owned by another user, or in a directory that others can write (they
    /// could swap the key for one they know).
    private static func checkOwnerAndDirectory(_ path: String, _ info: stat) throws(SillageError) {
        guard info.st_uid == geteuid() else {
            throw SillageError.configuration(
                "the key file is owned by another user (uid \(info.st_uid)); refusing to use it", at: path,
                hint: "the key must belong to the account that runs sillage: `chown` it, or create one with `sillage keys init`")
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        var dir = stat()
        guard stat(directory, &dir) == 0 else { return }
        if dir.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw SillageError.configuration(
                "the key file's directory can be written by others (mode \(String(dir.st_mode & 0o7777, radix: 8))); refusing to use it",
                at: path, hint: "move the key to a private directory (`chmod 700` it), or run `chmod go-w \(directory)`")
        }
    }

    /// 32 bytes from the kernel's random source.
    public static func random() throws(SillageError) -> MasterKey {
        let reader = try FileReader(path: "/dev/urandom")
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { raw.deallocate() }
        var filled = 0
        while filled < size {
            let n = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            guard n > 0 else { throw SillageError.runtime("the system random source ended early", at: "/dev/urandom") }
            filled += n
        }
        return try MasterKey(bytes: Array(raw))
    }

    /// Writes a new random key to `path` with mode 0600; an existing file is never overwritten.
    @discardableResult
    public static func create(path: String) throws(SillageError) -> MasterKey {
        let key = try random()
        try makeDirectories(parentOf: path, mode: 0o700)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST {
                throw SillageError.configuration(
                    "a key file already exists; it was left untouched", at: path,
                    hint: "keys are never overwritten: moving a key away breaks the link with earlier pseudonyms")
            }
            throw SillageError.runtime("cannot create the key file: \(systemErrorText(code))", at: path)
        }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = key.bytes.withUnsafeBytes { write(fd, $0.baseAddress, size) }
        guard written == size, fsync(fd) == 0 else {
            let code = errno
            unlink(path)
            throw SillageError.runtime("cannot write the key file: \(systemErrorText(code))", at: path)
        }
        return key
    }

    /// A key derived from this one for a purpose, so one master key serves several uses.
    public func derived(_ purpose: String) -> [UInt8] {
        HMACSHA256(key: bytes).authenticate(Array("sillage-derive\u{0}\(purpose)".utf8))
    }
}
