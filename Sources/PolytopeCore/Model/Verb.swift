/// What a request asks for: data out of a datasource, or data into one.
public enum Verb: String, Sendable, Codable, Hashable, CaseIterable {
    case retrieve
    case archive
}
