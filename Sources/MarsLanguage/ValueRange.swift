/// An arithmetic progression of values of one kind, counted before any is made.
struct ValueRange: Sendable {
    var start: Int
    var increment: Int
    var count: Int
    var write: @Sendable (Int) -> String

    /// The values, written in canonical form.
    var values: [String] { (0..<count).map { write(start + $0 * increment) } }
}
