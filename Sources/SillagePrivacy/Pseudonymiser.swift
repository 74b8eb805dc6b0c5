import SillageCore

/// Turns raw identifiers into 128-bit pseudonyms: `HMAC-SHA256(key, namespace ‖ 0x00 ‖ id)`.
///
/// Namespaces keep kinds of identifier apart (a Moodle user id 42 and a username "42" never
/// collide). Each namespace's prefix is hashed once into a saved HMAC state, so keying a
/// record costs the identifier's bytes plus the outer block.
public struct Pseudonymiser: Sendable {
    /// Well-known namespaces.
    public enum Namespace {
        /// Authenticated web users (`%u`, `$remote_user`).
        public static let webUser = "web-user"
        /// Anonymous web visitors, keyed by address and user agent.
        public static let webVisitor = "web-visitor"
    }

    private let hmac: HMACSHA256

    public init(key: [UInt8]) {
        hmac = HMACSHA256(key: key)
    }

    /// A prepared namespace: the HMAC state after `namespace ‖ 0x00`.
    public struct Prepared: Sendable {
        fileprivate let state: SHA256
        fileprivate let hmac: HMACSHA256

        /// The pseudonym of one identifier.
        @inline(__always)
        public func key(_ identifier: UnsafeRawBufferPointer) -> ActorKey {
            var inner = state
            inner.update(identifier)
            return finish(inner)
        }

        /// The pseudonym of an identifier made of several parts, each followed by 0x00 but the last.
        @inline(__always)
        public func key(parts: UnsafeRawBufferPointer...) -> ActorKey {
            var inner = state
            var zero: UInt8 = 0
            for (i, part) in parts.enumerated() {
                if i > 0 { withUnsafeBytes(of: &zero) { inner.update($0) } }
                inner.update(part)
            }
            return finish(inner)
        }

        /// The pseudonym of a textual identifier.
        public func key(_ identifier: String) -> ActorKey {
            var text = identifier
            return text.withUTF8 { key(UnsafeRawBufferPointer($0)) }
        }

        private func finish(_ inner: SHA256) -> ActorKey {
            var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            return withUnsafeMutableBytes(of: &digest) { raw in
                hmac.finish(inner, into: Bytes.start(of: raw))
                return ActorKey(digest: UnsafeRawPointer(Bytes.start(of: raw)))
            }
        }
    }

    /// Prepares `namespace` for repeated keying.
    public func prepare(_ namespace: String) -> Prepared {
        var state = hmac.begin()
        state.update(Array(namespace.utf8) + [0])
        return Prepared(state: state, hmac: hmac)
    }

    /// The pseudonym of `identifier` in `namespace`, as SPEC §6 defines it.
    public func pseudonym(namespace: String, identifier: String) -> ActorKey {
        prepare(namespace).key(identifier)
    }
}
