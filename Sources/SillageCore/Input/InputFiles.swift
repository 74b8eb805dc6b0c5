#if canImport(Glibc)
    import Glibc
#endif

/// Expands input paths and globs into the files a run reads, in a stable order.
public enum InputFiles {
    /// The files `pattern` names: `-` for standard input, a plain path, or a glob.
    ///
    /// Matches are put in reading order (`readingOrder`) so that a run is deterministic. A pattern that matches
    /// nothing, or names a missing file, is a configuration error naming the pattern.
    public static func expand(_ pattern: String) throws(SillageError) -> [String] {
        if pattern == "-" { return ["-"] }
        let isGlob = pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
        if !isGlob {
            var info = stat()
            if stat(pattern, &info) != 0 {
                let code = errno
                throw SillageError.configuration("cannot read input: \(systemErrorText(code))", at: pattern)
            }
            return [pattern]
        }
        var result = glob_t()
        defer { globfree(&result) }
        let status = glob(pattern, 0, nil, &result)
        if status == GLOB_NOMATCH {
            throw SillageError.configuration(
                "the glob matches no file", at: pattern,
                hint: "check the path relative to the working directory")
        }
        guard status == 0 else {
            throw SillageError.configuration("the glob could not be expanded (glob status \(status))", at: pattern)
        }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            guard let cPath = result.gl_pathv[i] else { continue }
            let path = String(cString: cPath)
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            paths.append(path)
        }
        if paths.isEmpty {
            throw SillageError.configuration("the glob matches only directories", at: pattern)
        }
        return readingOrder(paths)
    }

    /// Oldest first for rotated logs: `access.log.2.gz`, `access.log.1`, then `access.log`;
    /// other names in byte order (dated names such as `access.log-20261120` sort by date).
    ///
    /// Reading in time order keeps late-arrival handling (the 30-second rule of content
    /// views) exact across files, and lets each batch extend the sessions of the previous one.
    public static func readingOrder(_ paths: [String]) -> [String] {
        func key(_ path: String) -> (base: String, generation: Int) {
            var name = Substring(path)
            if name.hasSuffix(".gz") { name = name.dropLast(3) }
            guard let dot = name.lastIndex(of: "."), let n = Int(name[name.index(after: dot)...]),
                n >= 0, name[name.index(after: dot)...].allSatisfy({ $0.isASCII && $0.isNumber })
            else {
                return (path, 0)
            }
            return (String(name[..<dot]), n)
        }
        return paths.sorted {
            let (a, b) = (key($0), key($1))
            if a.base != b.base { return Array(a.base.utf8).lexicographicallyPrecedes(Array(b.base.utf8)) }
            if a.generation != b.generation { return a.generation > b.generation }
            return Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
        }
    }

    /// Opens a path, recognising gzip by its magic bytes rather than its name.
    public static func open(_ path: String) throws(SillageError) -> OpenedInput {
        let file = try FileReader(path: path)
        let peeked = PeekingReader(file)
        let head = try peeked.peek(2)
        let isGzip = head.count == 2 && head[0] == 0x1f && head[1] == 0x8b
        let reader: any ByteReader = isGzip ? GzipReader(source: peeked, displayName: file.displayName) : peeked
        return OpenedInput(path: path, displayName: file.displayName, reader: reader, file: file, isGzip: isGzip)
    }
}

/// An input opened for reading: the (possibly inflating) reader and the file beneath.
public struct OpenedInput {
    public let path: String
    public let displayName: String
    public var reader: any ByteReader
    /// The raw file, for the count of bytes read (progress) and the size.
    public let file: FileReader
    public let isGzip: Bool
}

/// Lets the opener look at the first bytes without losing them.
package final class PeekingReader: ByteReader {
    private var inner: any ByteReader
    private var head: [UInt8] = []

    package init(_ inner: any ByteReader) { self.inner = inner }

    package func peek(_ count: Int) throws(SillageError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { raw.deallocate() }
        while filled < count {
            let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            if n == 0 { break }
            filled += n
        }
        for i in 0..<filled { buffer[i] = raw[i] }
        head = Array(buffer[..<filled]) + head
        return Array(head.prefix(count))
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        if !head.isEmpty {
            let n = min(head.count, buffer.count)
            head.withUnsafeBytes { Bytes.copy(UnsafeRawBufferPointer(rebasing: $0[..<n]), into: buffer) }
            head.removeFirst(n)
            return n
        }
        return try inner.read(into: buffer)
    }
}
