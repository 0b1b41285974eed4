/// Which byte ranges to read for a set of fields, and in which order: fields in request
/// order, runs of fields that follow each other in the same file merged into one range,
/// ranges cut into parts of at most `partLength` bytes (so that parts read in parallel and
/// held until their turn take bounded memory).
struct ByteRangePlan: Sendable, Hashable {
    /// A field to read: its ordinal in the request, its file, where its bytes are.
    struct Field: Sendable, Hashable {
        var ordinal: Int
        var file: Int
        var offset: Int64
        var length: Int64
    }

    /// One request to make: a range of a file, and the ordinals of the fields it holds bytes of.
    struct Part: Sendable, Hashable {
        var file: Int
        var range: Range<Int64>
        var ordinals: [Int]
    }

    let parts: [Part]

    init(fields: [Field], partLength: Int64) {
        precondition(partLength > 0)
        var seen: Set<[Int64]> = []
        let ordered = fields.sorted { ($0.ordinal, $0.file, $0.offset) < ($1.ordinal, $1.file, $1.offset) }
            .filter { seen.insert([Int64($0.file), $0.offset]).inserted }
        var runs: [Part] = []
        for field in ordered {
            let range = field.offset..<(field.offset + field.length)
            if let last = runs.last, last.file == field.file, last.range.upperBound == field.offset {
                runs[runs.count - 1].range = last.range.lowerBound..<range.upperBound
                runs[runs.count - 1].ordinals.append(field.ordinal)
            } else {
                runs.append(Part(file: field.file, range: range, ordinals: [field.ordinal]))
            }
        }
        var parts: [Part] = []
        for run in runs {
            var start = run.range.lowerBound
            while start < run.range.upperBound {
                let end = min(start + partLength, run.range.upperBound)
                parts.append(Part(file: run.file, range: start..<end, ordinals: run.ordinals))
                start = end
            }
        }
        self.parts = parts
    }

    /// The number of bytes the parts cover.
    var byteCount: Int64 { parts.reduce(0) { $0 + Int64($1.range.count) } }
}
