/// The fields a request asks for: every combination of the values of some of its keys, in
/// request order — the first key varies slowest, values in the order the user wrote them.
///
/// Each combination has an ordinal (0..<count), so that sets of fields are plain integers
/// and sorting by ordinal puts fields back in request order.
struct FieldSelection: Sendable, Hashable {
    /// The keys, in request order.
    let keys: [String]
    /// The values of each key, in request order.
    let values: [[String]]
    /// The number of combinations; `Int.max` when it does not fit.
    let count: Int
    private let positionsByValue: [[String: Int]]
    private let strides: [Int]

    init(keys: [String], values: [[String]]) {
        self.keys = keys
        self.values = values
        positionsByValue = values.map { list in
            Dictionary(list.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
        }
        var strides = [Int](repeating: 1, count: keys.count)
        var count = 1
        for index in keys.indices.reversed() {
            strides[index] = count
            let (product, overflow) = count.multipliedReportingOverflow(by: values[index].count)
            count = overflow ? Int.max : product
            if overflow { break }
        }
        self.count = count
        self.strides = strides
    }

    /// The selection of `keys` (those the request has, in the request's order) of a request.
    init(_ fields: [(key: String, values: [String])], keeping keep: (String) -> Bool) {
        let kept = fields.filter { keep($0.key) }
        self.init(keys: kept.map(\.key), values: kept.map(\.values))
    }

    /// The index of `key`, if the selection has it.
    func index(of key: String) -> Int? { keys.firstIndex(of: key) }

    /// The position of `value` among the values of the key at `keyIndex`.
    func position(of value: String, keyIndex: Int) -> Int? { positionsByValue[keyIndex][value] }

    /// The ordinal of a combination given as one position per key.
    func ordinal(_ positions: [Int]) -> Int {
        zip(positions, strides).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The position of each key's value in the combination `ordinal`.
    func positions(_ ordinal: Int) -> [Int] {
        zip(strides, values).map { stride, values in (ordinal / stride) % max(values.count, 1) }
    }

    /// The value of each key in the combination `ordinal`, by key.
    func valuesByKey(_ ordinal: Int) -> [String: String] {
        Dictionary(zip(keys, zip(positions(ordinal), values).map { $1[$0] }), uniquingKeysWith: { first, _ in first })
    }

    /// `date=20240101, time=0000, step=6`.
    func describe(_ ordinal: Int) -> String {
        zip(keys, zip(positions(ordinal), values).map { $1[$0] }).map { "\($0)=\($1)" }.joined(separator: ", ")
    }

    /// The most missing fields a message lists.
    static let listedMissingLimit = 20

    /// `field(s) not found: date=..., step=6; date=..., step=12 (and 3 more)`, for `ordinals`
    /// in request order.
    func missingMessage(_ ordinals: [Int]) -> String {
        let listed = ordinals.prefix(Self.listedMissingLimit).map(describe).joined(separator: "; ")
        let more = ordinals.count > Self.listedMissingLimit ? " (and \(ordinals.count - Self.listedMissingLimit) more)" : ""
        return "field(s) not found: \(listed)\(more)"
    }
}
