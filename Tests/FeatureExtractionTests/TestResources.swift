import Foundation
import PolytopeCore

/// Loading the test resources (golden files made by the scripts in crosscheck/).
enum TestResources {
    static func data(_ path: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: "Resources/" + path, withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return try Data(contentsOf: url)
    }

    static func json(_ path: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data(path))
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var arrayValue: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    var doubleValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Parses JSON text (test input written as a Swift string).
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
