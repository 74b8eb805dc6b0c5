import CZlib

/// A zlib stream at an address that never changes, allocated once and freed with its owner.
///
/// zlib keeps a pointer from its internal state back to the `z_stream` and checks it on
/// every call; a Swift `var` passed with `&` has no stable address by contract, so the
/// stream lives in memory of its own (as compress-nio does).
final class ZStream {
    enum Mode { case inflate, deflate }

    let pointer: UnsafeMutablePointer<z_stream>
    private let mode: Mode

    /// A raw-deflate stream (no zlib or gzip framing: the gzip framing is ours).
    init(_ mode: Mode, level: Int32 = 6) throws(SillageError) {
        pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        self.mode = mode
        let size = Int32(MemoryLayout<z_stream>.size)
        let status =
            switch mode {
            case .inflate: inflateInit2_(pointer, -15, ZLIB_VERSION, size)
            case .deflate: deflateInit2_(pointer, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, size)
            }
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            throw SillageError.runtime("zlib could not start (status \(status))")
        }
    }

    deinit {
        switch mode {
        case .inflate: inflateEnd(pointer)
        case .deflate: deflateEnd(pointer)
        }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// Inflates from `input` into `output`; returns zlib's status and the bytes consumed and produced.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> (status: Int32, consumed: Int, produced: Int) {
        run(input, output) { CZlib.inflate($0, Z_NO_FLUSH) }
    }

    /// Deflates all of `input` into `output` (Z_FINISH).
    func deflateAll(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> (status: Int32, consumed: Int, produced: Int) {
        run(input, output) { CZlib.deflate($0, Z_FINISH) }
    }

    func reset() { inflateReset(pointer) }

    private func run(
        _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, _ step: (UnsafeMutablePointer<z_stream>) -> Int32
    ) -> (status: Int32, consumed: Int, produced: Int) {
        let inCount = min(input.count, Int(UInt32.max)), outCount = min(output.count, Int(UInt32.max))
        pointer.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        pointer.pointee.avail_in = UInt32(inCount)
        pointer.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        pointer.pointee.avail_out = UInt32(outCount)
        let status = step(pointer)
        return (status, inCount - Int(pointer.pointee.avail_in), outCount - Int(pointer.pointee.avail_out))
    }

    /// The CRC-32 of `bytes` continuing `crc` (0 to start).
    static func crc32(_ crc: UInt, _ bytes: UnsafeRawBufferPointer) -> UInt {
        CZlib.crc32(crc, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt32(bytes.count))
    }

    /// The most `count` bytes can deflate to.
    func deflateBound(_ count: Int) -> Int { Int(CZlib.deflateBound(pointer, UInt(count))) }
}
