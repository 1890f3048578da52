/// One entry of `dependsOn`: AWS Batch's `JobDependency`.
///
/// Without a type the whole wish waits for the whole of `id`. On an array wish, `SEQUENTIAL` (no
/// id) makes child i wait for child i-1 of the same array, and `N_TO_N` makes child i wait for
/// child i of `id`, an array of the same size.
///
/// Stored specs from before types existed hold plain id strings, and a dependency without a type is
/// still written that way: what the old code stored decodes, and what it reads is unchanged.
public struct WishDependency: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case nToN = "N_TO_N"
        case sequential = "SEQUENTIAL"
    }

    /// The wish waited for; nil only for `SEQUENTIAL`.
    public var id: WishID?
    public var type: Kind?

    public init(id: WishID?, type: Kind? = nil) {
        self.id = id
        self.type = type
    }

    /// The whole wish waits for the whole of `id`.
    public static func whole(_ id: WishID) -> WishDependency { WishDependency(id: id) }
    /// Each child waits for the one before it.
    public static let sequential = WishDependency(id: nil, type: .sequential)
    /// Each child waits for the child of `id` with its index.
    public static func nToN(_ id: WishID) -> WishDependency { WishDependency(id: id, type: .nToN) }

    enum CodingKeys: String, CodingKey {
        case id = "jobId"
        case type
    }

    public init(from decoder: any Decoder) throws {
        if let id = try? decoder.singleValueContainer().decode(WishID.self) {
            self.init(id: id)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try container.decodeIfPresent(WishID.self, forKey: .id), type: try container.decodeIfPresent(Kind.self, forKey: .type))
        if id == nil, type != .sequential {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a dependency names a jobId unless it is SEQUENTIAL"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let id, type == nil {
            var container = encoder.singleValueContainer()
            try container.encode(id)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(type, forKey: .type)
    }
}

extension WishSpec {
    /// The wishes this one waits for as a whole, before anything of it starts (an array fans out after them).
    public var wholeDependencies: [WishID] { dependsOn?.compactMap { $0.type == nil ? $0.id : nil } ?? [] }
    /// The arrays whose child i each child i waits for (`N_TO_N`).
    public var pairedDependencies: [WishID] { dependsOn?.compactMap { $0.type == .nToN ? $0.id : nil } ?? [] }
    /// Whether each child waits for the one before it (`SEQUENTIAL`).
    public var isSequential: Bool { dependsOn?.contains { $0.type == .sequential } == true }
    /// Whether a child waits for anything before it starts.
    var childrenWait: Bool { dependsOn?.contains { $0.type != nil } == true }

    /// Why the wish `id`, whose spec is `paired`, cannot be an `N_TO_N` dependency of this array, or
    /// nil when it can: children pair by index, so both arrays must be of one size.
    public func pairingRefusal(_ id: WishID, paired: WishSpec) -> String? {
        let size = arraySize ?? 0
        guard let pairedSize = paired.arraySize else {
            return "dependency \(id) is not an array: N_TO_N pairs each child with the child of the same index of an array of the same size"
        }
        guard pairedSize == size else {
            return "dependency \(id) is an array of \(pairedSize), not \(size): N_TO_N pairs each child with the child of the same index"
        }
        return nil
    }
}
