/// ECMWF parameter ids as MARS writes them: a paramId (`167`), or `parameter.table` as in
/// GRIB 1 (`167.128` → 167, `246.228` → 228246; table 128 is the default). One rule for
/// the MARS language and for feature answers.
package enum ParamID {
    /// The paramId `text` writes, or nil if it is not a number of that form (or names a
    /// parameter beyond 999 or a table beyond 254 in the dotted form).
    package static func parse(_ text: some StringProtocol) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCIIDigit) }),
            let number = Int(parts[0]), number > 0
        else { return nil }
        guard parts.count == 2, let table = Int(parts[1]) else { return number }
        guard (1...999).contains(number), (1...254).contains(table) else { return nil }
        return table == 128 ? number : table * 1000 + number
    }
}
