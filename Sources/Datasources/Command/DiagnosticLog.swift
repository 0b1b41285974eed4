import Foundation

/// What a program printed that may explain a failure: the lines that matched the configured
/// error patterns (the first few) and the last few lines of each stream. Its size is bounded
/// whatever the program prints.
struct DiagnosticLog: Sendable, Equatable {
    /// The standard output or standard error of the program.
    enum Stream: Sendable {
        case standardOutput, standardError
    }

    /// How many matching lines, and how many last lines per stream, are kept.
    static let keptLines = 5
    /// Longer lines are cut to this many characters.
    static let maximumLineLength = 500

    private(set) var matchedLines: [String] = []
    /// Matching lines beyond the ones kept.
    private(set) var moreMatches = 0
    private(set) var lastStandardError: [String] = []
    private(set) var lastStandardOutput: [String] = []

    /// Records one line (without its line break).
    mutating func append(_ line: String, from stream: Stream, matchesErrorPattern: Bool) {
        let line = Self.tidy(line)
        guard !line.isEmpty else { return }
        if matchesErrorPattern {
            if matchedLines.count < Self.keptLines {
                matchedLines.append(line)
            } else {
                moreMatches += 1
            }
        }
        switch stream {
        case .standardError: Self.keepLast(line, in: &lastStandardError)
        case .standardOutput: Self.keepLast(line, in: &lastStandardOutput)
        }
    }

    /// The last lines of standard error, or of standard output if the program wrote nothing
    /// to standard error.
    var lastLines: [String] {
        lastStandardError.isEmpty ? lastStandardOutput : lastStandardError
    }

    private static func keepLast(_ line: String, in lines: inout [String]) {
        if lines.count == keptLines { lines.removeFirst() }
        lines.append(line)
    }

    /// Trims white space and control characters, and cuts long lines.
    static func tidy(_ line: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            scalars.append(scalar.properties.generalCategory == .control && scalar != "\t" ? " " : scalar)
        }
        let text = String(scalars).trimmingCharacters(in: .whitespaces)
        guard text.count > maximumLineLength else { return text }
        return String(text.prefix(maximumLineLength)) + "…"
    }
}
