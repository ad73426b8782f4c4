import CSHA256

/// SHA-256 (FIPS 180-4), fed in pieces: the digest of blobs as they stream through.
///
/// On x86-64 CPUs with the SHA extensions (Intel since Ice Lake and Goldmont, AMD since Zen)
/// they compress the blocks, as fast in a debug build as in a release build; elsewhere portable C.
public struct SHA256: Sendable {
    private var context = csha256_context()

    public init() { self.init(accelerated: true) }

    /// - Parameter accelerated: false to use the portable code on any CPU (for tests).
    init(accelerated: Bool) { csha256_init(&context, accelerated ? 1 : 0) }

    /// Whether this CPU's SHA extensions do the work.
    public static var isAccelerated: Bool { csha256_cpu_is_accelerated() != 0 }

    /// Whether this hash uses the SHA extensions.
    var usesAcceleration: Bool { context.accelerated != 0 }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        csha256_update(&context, base, buffer.count)
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// The digest of everything fed so far (the hash can go on being fed).
    public func finalize() -> Digest {
        var copy = context
        var bytes = [UInt8](repeating: 0, count: 32)
        csha256_final(&copy, &bytes)
        return Digest(sha256: bytes)
    }

    /// The digest of `bytes`.
    public static func digest(of bytes: some Collection<UInt8>) -> Digest {
        var hash = SHA256()
        hash.update(bytes)
        return hash.finalize()
    }
}
