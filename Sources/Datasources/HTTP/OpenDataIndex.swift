import Foundation
import MarsLanguage
import NIOCore
import PolytopeCore

/// The index of one data file in the ECMWF open-data layout: one JSON object per line with
/// the field's MARS keys as text and where its bytes are, for example
/// `{"domain": "g", "date": "20240101", "time": "0000", "expver": "0001", "class": "od",
/// "type": "fc", "stream": "oper", "step": "6", "levtype": "sfc", "param": "2t",
/// "_offset": 0, "_length": 609069}`.
struct OpenDataIndex: Sendable {
    /// One line: a field's keys and its bytes in the data file.
    struct Entry: Sendable, Hashable {
        var keys: [String: String]
        var offset: Int64
        var length: Int64
    }

    var entries: [Entry]

    /// The longest field an index may list (64 GiB).
    static let maximumFieldLength: Int64 = 64 << 30

    /// Parses an index; numbers among the keys are kept as text (`850`).
    /// - Throws: `PolytopeError` naming the first line that is not such an object.
    init(parsing buffer: ByteBuffer, url: String) throws {
        let decoder = JSONDecoder()
        var entries: [Entry] = []
        var lineNumber = 0
        for line in buffer.readableBytesView.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else { continue }
            guard let object = try? decoder.decode([String: IndexValue].self, from: Data(line)),
                case .integer(let offset)? = object["_offset"], case .integer(let length)? = object["_length"], offset >= 0, length > 0
            else {
                throw PolytopeError(
                    .unavailable, "the index \(URLTemplate.displayed(url)) has a line that is not a field (line \(lineNumber))")
            }
            // The index comes from another server: its numbers must not overflow, nor plan a field
            // larger than any GRIB message.
            guard length <= Self.maximumFieldLength, offset <= Int64.max - length else {
                throw PolytopeError(
                    .unavailable,
                    "the index \(URLTemplate.displayed(url)) has a field whose offset or length is out of range (line \(lineNumber))")
            }
            var keys: [String: String] = [:]
            for (key, value) in object where !key.hasPrefix("_") {
                if let text = value.text { keys[key.lowercased()] = text }
            }
            entries.append(Entry(keys: keys, offset: offset, length: length))
        }
        self.entries = entries
    }

    /// A value of an index line: text, a whole number, another number, or anything else.
    private enum IndexValue: Decodable {
        case text(String)
        case integer(Int64)
        case number(Double)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .other
            }
        }

        /// The value as a request would write it; nil for structures, booleans and nulls.
        var text: String? {
            switch self {
            case .text(let text): return text
            case .integer(let integer): return String(integer)
            case .number(let number): return String(number)
            case .other: return nil
            }
        }
    }

    /// The entries that are fields of `selection`, each with its ordinal.
    ///
    /// An entry matches when, for every key of the selection, its value is one the request
    /// asks for. Keys the URL was built from (`urlPositions`: key index → the position of the
    /// value that built this file's URL) may be absent from an entry, and if present must
    /// have that value; other keys must be present. Values are compared as normalised, so
    /// `"time": "0"` matches `0000` and `"param": "167"` matches `2t`.
    func fields(
        of selection: FieldSelection, urlPositions: [Int: Int], canonical: inout IndexValueCanonicaliser
    ) -> [(ordinal: Int, entry: Entry)] {
        var matched: [(ordinal: Int, entry: Entry)] = []
        var positions = [Int](repeating: 0, count: selection.keys.count)
        entries: for entry in entries {
            for (keyIndex, key) in selection.keys.enumerated() {
                guard let raw = entry.keys[key] else {
                    guard let position = urlPositions[keyIndex] else { continue entries }
                    positions[keyIndex] = position
                    continue
                }
                guard
                    let position = selection.position(of: raw, keyIndex: keyIndex)
                        ?? selection.position(of: canonical.canonical(raw, key: key), keyIndex: keyIndex),
                    urlPositions[keyIndex].map({ $0 == position }) ?? true
                else { continue entries }
                positions[keyIndex] = position
            }
            matched.append((selection.ordinal(positions), entry))
        }
        return matched
    }
}

/// Writes index values the way requests are normalised, remembering each answer.
struct IndexValueCanonicaliser {
    let normaliser: MarsRequestNormaliser
    let now: Date
    private var cache: [String: [String: String]] = [:]

    init(normaliser: MarsRequestNormaliser, now: Date) {
        self.normaliser = normaliser
        self.now = now
    }

    /// The normalised form of `value` of `key`; the value itself if it does not normalise.
    mutating func canonical(_ value: String, key: String) -> String {
        if let known = cache[key]?[value] { return known }
        let result = (try? normaliser.normalise(fields: [.init(key: key, value: .list([value]))], now: now))?[key]?.first ?? value
        cache[key, default: [:]][value] = result
        return result
    }
}
