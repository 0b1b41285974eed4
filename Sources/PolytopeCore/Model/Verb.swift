/// What a request asks for: data out of a datasource, or data into one.
package enum Verb: String, Sendable, Codable, Hashable, CaseIterable {
    case retrieve
    case archive
}
