/// What a status, an attempt or an output belongs to: a wish, or one child of an array wish.
public struct WishSubject: Sendable, Hashable, Codable, CustomStringConvertible {
    public var id: WishID
    /// 0-based, for array children; nil for the wish itself.
    public var arrayIndex: Int?

    public init(id: WishID, arrayIndex: Int? = nil) {
        self.id = id
        self.arrayIndex = arrayIndex
    }

    public var description: String { arrayIndex.map { "\(id):\($0)" } ?? id.rawValue }
}
