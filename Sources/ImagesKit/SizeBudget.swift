import Foundation

/// Limits on what an image (or the whole set) may cost, from `images.json`:
/// `{ "compressed": "400MB", "tar": "1GB", "unpacked": "1.2GB", "layers": 12 }`.
/// Sizes are written with a unit, SI like Docker (`kB`, `MB`, `GB`, `TB`: powers of 1000) or
/// binary (`KiB`, `MiB`, `GiB`, `TiB`), or as a plain number of bytes.
public struct SizeBudget: Sendable, Hashable, Codable {
    public var compressed: Int64?
    public var tar: Int64?
    public var unpacked: Int64?
    public var layers: Int?

    public init(compressed: Int64? = nil, tar: Int64? = nil, unpacked: Int64? = nil, layers: Int? = nil) {
        self.compressed = compressed
        self.tar = tar
        self.unpacked = unpacked
        self.layers = layers
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case compressed, tar, unpacked, layers
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func size(_ key: CodingKeys) throws -> Int64? {
            guard container.contains(key) else { return nil }
            if let bytes = try? container.decode(Int64.self, forKey: key), bytes >= 0 { return bytes }
            let text = (try? container.decode(String.self, forKey: key)) ?? ""
            guard let bytes = Self.parseSize(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "'\(text)' is not a size (write it like \"400MB\", \"1.2GB\" or \"512MiB\")")
            }
            return bytes
        }
        compressed = try size(.compressed)
        tar = try size(.tar)
        unpacked = try size(.unpacked)
        if container.contains(.layers) {
            guard let count = try? container.decode(Int.self, forKey: .layers), count >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .layers, in: container, debugDescription: "expected a number of layers, like 12")
            }
            layers = count
        }
    }

    static let units: [String: Double] = [
        "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
    ]

    /// `"400MB"` → 400000000; `"1.5 GiB"` → 1610612736; nil for anything else.
    static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let value = Double(number), value >= 0, let scale = unit.isEmpty ? 1 : units[unit] else { return nil }
        let bytes = (value * scale).rounded()
        return bytes < 9e18 ? Int64(bytes) : nil
    }
}

/// One budget compared with the report.
public struct BudgetCheck: Sendable, Codable, Equatable {
    /// `postgres:16 linux/amd64`, or `total` for the set.
    public var subject: String
    /// `compressed`, `tar`, `unpacked` or `layers`.
    public var budget: String
    public var limit: Int64
    /// nil when unknown (a layer compressed with zstd, or a `--remote` image's tar sizes).
    public var actual: Int64?

    /// Over the limit (an unknown size is not).
    public var exceeded: Bool { (actual ?? 0) > limit }
    /// What is left (negative: by how much it is over).
    public var headroom: Int64? { actual.map { limit - $0 } }
}

extension SizeReport {
    /// Every budget of `manifest` that applies to this report: each image's (for each of its
    /// platforms), and the set's total, compared with the bytes the set really holds (every
    /// layer once).
    public func check(_ manifest: ImagesManifest) -> [BudgetCheck] {
        func checks(_ subject: String, _ budget: SizeBudget, _ sizes: Sizes) -> [BudgetCheck] {
            var checks: [BudgetCheck] = []
            if let limit = budget.compressed {
                checks.append(.init(subject: subject, budget: "compressed", limit: limit, actual: sizes.compressed))
            }
            if let limit = budget.tar { checks.append(.init(subject: subject, budget: "tar", limit: limit, actual: sizes.tar)) }
            if let limit = budget.unpacked {
                checks.append(.init(subject: subject, budget: "unpacked", limit: limit, actual: sizes.unpacked))
            }
            if let limit = budget.layers {
                checks.append(.init(subject: subject, budget: "layers", limit: Int64(limit), actual: Int64(sizes.layers)))
            }
            return checks
        }
        let declaredByReference = Dictionary(
            manifest.images.map { ($0.reference.description, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [BudgetCheck] = []
        for image in images {
            guard let declared = declaredByReference[image.reference], let budget = declared.budget else { continue }
            result += checks("\(declared.written) \(image.platform)", budget, image.total)
        }
        if let total = manifest.totalBudget { result += checks("total", total, unique) }
        return result
    }
}
