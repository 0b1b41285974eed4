/// Why one value (or range) was refused: `value` is the text at fault, `reason` completes
/// `key: 'value' ...`.
struct ValueRejection: Error, Hashable, Sendable {
    var value: String
    var reason: String
}
