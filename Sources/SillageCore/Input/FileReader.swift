#if canImport(Glibc)
    import Glibc
#endif

/// A source of bytes that fills caller-provided buffers.
public protocol ByteReader {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int
}

/// Reads a file (or standard input) with plain `read(2)` calls, for large sequential chunks.
///
/// The descriptor is closed when the last copy is released; the reader is not shared
/// across threads.
public final class FileReader: ByteReader {
    /// The name used in messages: the path, or `<stdin>`.
    public let displayName: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Bytes handed out so far (for progress and error positions).
    public private(set) var bytesRead: Int64 = 0

    /// Opens `path` for reading; `-` is standard input.
    public init(path: String) throws(SillageError) {
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
            displayName = "<stdin>"
            return
        }
        displayName = path
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            throw SillageError.configuration("cannot read input: \(systemErrorText(code))", at: path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw SillageError.configuration(
                "input is a directory, not a file", at: path,
                hint: "give a file or a glob such as \(path)/access.log*")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw SillageError.configuration("cannot open input: \(systemErrorText(code))", at: path)
        }
        descriptor = fd
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Moves to `offset` for the next read (resuming a growing file).
    public func seek(to offset: Int64) throws(SillageError) {
        guard lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
            let code = errno
            throw SillageError.runtime("cannot seek to byte \(offset): \(systemErrorText(code))", at: displayName)
        }
    }

    /// Reads `buffer.count` bytes at `offset` without moving the read position; returns the
    /// count read (fewer at the end of the file, 0 on error).
    public func pread(into buffer: inout [UInt8], at offset: Int64) -> Int {
        let n = buffer.withUnsafeMutableBytes { Glibc.pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        return max(0, n)
    }

    /// The file's size in bytes when it is a regular file, for progress estimates.
    public var size: Int64? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// The device and inode of the open file: the same file across renames, a new one when
    /// a log is recreated (standard input gives zeros).
    public var identity: (device: UInt64, inode: UInt64) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return (0, 0) }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(descriptor, base, buffer.count)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            let code = errno
            if code == EINTR { continue }
            throw SillageError.runtime(
                "read failed after \(bytesRead) bytes: \(systemErrorText(code))",
                at: displayName)
        }
    }
}
