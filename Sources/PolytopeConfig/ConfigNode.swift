/// Where a configuration value was written: file, line and column (1-based).
package struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }
}

/// The kind of a YAML scalar after tag resolution (`8080` is an integer, `"8080"` a string).
package enum ScalarKind: Sendable, Hashable {
    case string
    case integer
    case float
    case boolean
}

/// One node of a configuration tree, with the place it was written.
///
/// The tree keeps mapping keys in the order they were written, so error messages and
/// `config check` output follow the file.
package struct ConfigNode: Sendable {
    /// The shape and content of a node.
    package indirect enum Value: Sendable {
        case null
        case scalar(String, ScalarKind)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    /// A key of a mapping with its value.
    package struct Entry: Sendable {
        package var key: String
        package var value: ConfigNode

        package init(key: String, value: ConfigNode) {
            self.key = key
            self.value = value
        }
    }

    package var value: Value
    package var location: ConfigLocation?

    package init(_ value: Value, location: ConfigLocation? = nil) {
        self.value = value
        self.location = location
    }

    /// An empty mapping, the starting point of a merge.
    package static var emptyMapping: ConfigNode { ConfigNode(.mapping([])) }

    /// The value under `key` if this node is a mapping that has it.
    package subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// A short description of the node's type for error messages ("a mapping", "the string \"x\"").
    package var typeDescription: String {
        switch value {
        case .null: return "null"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let text, let kind):
            switch kind {
            case .string: return "the string \"\(text)\""
            case .integer: return "the integer \(text)"
            case .float: return "the number \(text)"
            case .boolean: return "the boolean \(text)"
            }
        }
    }

    /// Deep-merges `overlay` over this node: mappings merge key by key, anything else is
    /// replaced by the overlay, and an explicit `null` in the overlay removes the key. A
    /// mapping whose `type` the overlay changes (a store, staging or datasource of another
    /// kind) is replaced whole: the earlier kind's settings mean nothing to the new one.
    package func merged(with overlay: ConfigNode) -> ConfigNode {
        guard case .mapping(var entries) = value, case .mapping(let overlayEntries) = overlay.value else {
            return overlay
        }
        if case .scalar(let newType, _)? = overlay["type"]?.value, case .scalar(let oldType, _)? = self["type"]?.value, newType != oldType {
            return overlay
        }
        for entry in overlayEntries {
            let index = entries.firstIndex { $0.key == entry.key }
            if case .null = entry.value.value {
                if let index { entries.remove(at: index) }
            } else if let index {
                entries[index].value = entries[index].value.merged(with: entry.value)
            } else {
                entries.append(entry)
            }
        }
        return ConfigNode(.mapping(entries), location: location ?? overlay.location)
    }
}
