#if canImport(Glibc)
    import Glibc
#endif

/// Reads a small file completely; errors name the file.
package func readWholeFile(_ path: String, limit: Int = 64 << 20) throws(SillageError) -> [UInt8] {
    let reader = try FileReader(path: path)
    var out: [UInt8] = []
    let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    defer { block.deallocate() }
    while true {
        let n = try reader.read(into: block)
        if n == 0 { break }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[..<n]))
        if out.count > limit {
            throw SillageError.configuration("the file is larger than expected (over \(limit) bytes)", at: path)
        }
    }
    return out
}

/// `mkdir -p` for the directory holding `path`.
package func makeDirectories(parentOf path: String, mode: mode_t = 0o755) throws(SillageError) {
    guard let slash = path.lastIndex(of: "/") else { return }
    let parent = String(path[..<slash])
    if parent.isEmpty { return }
    try makeDirectories(parent, mode: mode)
}

/// `mkdir -p`.
package func makeDirectories(_ directory: String, mode: mode_t = 0o755) throws(SillageError) {
    var info = stat()
    if stat(directory, &info) == 0 {
        if (info.st_mode & S_IFMT) == S_IFDIR { return }
        throw SillageError.runtime("exists and is not a directory", at: directory)
    }
    if let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
        try makeDirectories(String(directory[..<slash]), mode: mode)
    }
    if mkdir(directory, mode) != 0 && errno != EEXIST {
        let code = errno
        throw SillageError.runtime("cannot create the directory: \(systemErrorText(code))", at: directory)
    }
}

/// A new, empty directory of mode 0700 under the system's temporary directory.
package func makeTemporaryDirectory(prefix: String) throws(SillageError) -> String {
    let base = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
    var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        let code = errno
        throw SillageError.runtime("cannot create a temporary directory: \(systemErrorText(code))", at: base)
    }
    return String(cString: made)
}
