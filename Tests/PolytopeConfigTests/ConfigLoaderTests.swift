import Foundation
import PolytopeConfig
import Testing

@Suite("Configuration loading")
final class ConfigLoaderTests {
    /// Directories `write` made; removed when the test ends.
    private var directories: [String] = []

    deinit {
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Writes files into a fresh directory and returns their paths.
    func write(_ files: [String: String]) throws -> (directory: String, paths: [String: String]) {
        let directory = NSTemporaryDirectory() + "polytope-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        directories.append(directory)
        var paths: [String: String] = [:]
        for (name, text) in files {
            let path = "\(directory)/\(name)"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths[name] = path
        }
        return (directory, paths)
    }

    func issues(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch let error as ConfigError {
            return error.issues.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("files deep-merge in order: mappings merge, other values are replaced, null removes")
    func merge() throws {
        let (_, paths) = try write([
            "a.yaml": "server: {host: a, port: 1}\nlist: [1, 2]\nkeep: yes\ngone: here\n",
            "b.yaml": "server: {port: 2}\nlist: [3]\ngone: null\n",
        ])
        let root = try ConfigLoader(environment: [:]).load(files: [paths["a.yaml"]!, paths["b.yaml"]!])
        let reader = ConfigReader(root: root)
        let server = try #require(reader.section("server"))
        #expect(server.string("host") == "a")
        #expect(server.int("port") == 2)
        #expect(reader.strings("list") == ["3"])
        #expect(reader.bool("keep", default: false))
        #expect(!reader.contains("gone"))
        try reader.finish()
    }

    @Test("a mapping whose type a later file changes is replaced, not merged")
    func typeChangeReplaces() throws {
        let (_, paths) = try write([
            "a.yaml": "store: {type: sqlite, durability: full}\nstaging: {type: filesystem, path: /x}\n",
            "b.yaml": "store: {type: postgres, url: \"postgres://db/p\"}\nstaging: {path: /y}\n",
        ])
        let root = try ConfigLoader(environment: [:]).load(files: [paths["a.yaml"]!, paths["b.yaml"]!])
        let reader = ConfigReader(root: root)
        let store = try #require(reader.section("store"))
        #expect(store.string("type") == "postgres" && store.string("url") == "postgres://db/p")
        #expect(!store.contains("durability"))
        let staging = try #require(reader.section("staging"))
        #expect(staging.string("type") == "filesystem" && staging.string("path") == "/y", "the same type still merges")
    }

    @Test("${NAME} and ${NAME:-default} expand from the environment")
    func environmentExpansion() throws {
        let (_, paths) = try write(["c.yaml": "a: ${HOST}:${PORT:-8080}\nb: \"$${literal}\"\nc: ${EMPTY:-fallback}\n"])
        let root = try ConfigLoader(environment: ["HOST": "example", "EMPTY": ""]).load(files: [paths["c.yaml"]!])
        let reader = ConfigReader(root: root)
        #expect(reader.string("a") == "example:8080")
        let noted = try ConfigLoader(environment: ["HOST": "example", "EMPTY": ""]).loadNotingVariables(files: [paths["c.yaml"]!]).variables
        #expect(noted == ["HOST", "PORT", "EMPTY"], "every name referenced, set or not; not the escaped one")
        #expect(reader.string("b") == "${literal}")
        #expect(reader.string("c") == "fallback")
        let problems = issues { _ = try ConfigLoader(environment: [:]).load(files: [paths["c.yaml"]!]) }
        #expect(problems.count == 1)
        #expect(problems.first?.contains("c.yaml:1:4: a: environment variable HOST is not set") == true)
    }

    @Test("broken YAML is reported with file, line and column")
    func brokenYAML() throws {
        let (_, paths) = try write(["bad.yaml": "server:\n  host: [a, b\n  port: 1\n", "dup.yaml": "a: 1\na: 2\n", "list.yaml": "- a\n"])
        let broken = issues { _ = try ConfigLoader(environment: [:]).load(files: [paths["bad.yaml"]!]) }
        #expect(broken.count == 1)
        #expect(broken.first?.hasPrefix(paths["bad.yaml"]! + ":3:") == true, "\(broken)")
        #expect(broken.first?.contains("invalid YAML") == true)
        let duplicate = issues { _ = try ConfigLoader(environment: [:]).load(files: [paths["dup.yaml"]!]) }
        #expect(duplicate.first?.contains("duplicate key 'a'") == true, "\(duplicate)")
        let list = issues { _ = try ConfigLoader(environment: [:]).load(files: [paths["list.yaml"]!]) }
        #expect(list.first?.contains("the top level must be a mapping") == true)
        let missing = issues { _ = try ConfigLoader(environment: [:]).load(files: ["/nonexistent/polytope.yaml"]) }
        #expect(missing == ["/nonexistent/polytope.yaml:1:1: configuration file does not exist"])
    }

    @Test("wrong types and unknown keys are all reported with their key paths")
    func typedReading() throws {
        let (_, paths) = try write([
            "t.yaml": """
            limits:
              per-user: four
              total: 5
              totl: 6
            timeout: soon
            size: 10X
            flag: maybe
            mode: fast
            """
        ])
        let file = paths["t.yaml"]!
        let reader = ConfigReader(root: try ConfigLoader(environment: [:]).load(files: [file]))
        let limits = try #require(reader.section("limits"))
        #expect(limits.int("per-user") == nil)
        #expect(limits.int("total", range: 1...3) == nil)
        #expect(reader.duration("timeout", default: .seconds(1)) == .seconds(1))
        #expect(reader.byteCount("size", default: 7) == 7)
        #expect(!reader.bool("flag", default: false))
        #expect(reader.choice("mode", ["slow": 1, "careful": 2], default: 0) == 0)
        let problems = issues { try reader.finish() }
        #expect(
            problems == [
                "\(file):2:13: limits.per-user: expected an integer, found the string \"four\"",
                "\(file):3:10: limits.total: 5 is out of range; expected 1...3",
                "\(file):4:9: limits.totl: unknown key 'totl' (did you mean 'total'?)",
                "\(file):5:10: timeout: expected a duration such as 90s, 15m, 24h or 1d2h (at most 100 years), found \"soon\"",
                "\(file):6:7: size: expected a size such as 64K, 500M or 10G, found \"10X\"",
                "\(file):7:7: flag: expected true or false, found the string \"maybe\"",
                "\(file):8:7: mode: expected one of slow, careful, found \"fast\"",
            ]
        )
    }

    @Test("integers are read as YAML writes them: 1_000, 0x1F90, 0o17")
    func integers() throws {
        let (_, paths) = try write(["i.yaml": "a: 1_000\nb: 0x1F90\nc: 0o17\nd: 0xZZ\n"])
        let reader = ConfigReader(root: try ConfigLoader(environment: [:]).load(files: [paths["i.yaml"]!]))
        #expect(reader.int("a") == 1000 && reader.int("b") == 8080 && reader.int("c") == 15 && reader.int("d") == nil)
    }

    @Test(
        "durations are read as humans write them",
        arguments: [
            ("90s", Duration.seconds(90)), ("500ms", .milliseconds(500)), ("24h", .seconds(86_400)),
            ("1d2h", .seconds(93_600)), ("1h30m", .seconds(5_400)), ("30", .seconds(30)), ("1.5s", .milliseconds(1500)),
        ]
    )
    func durations(_ text: String, _ expected: Duration) {
        #expect(HumanDuration.parse(text) == expected)
    }

    @Test("invalid durations are refused", arguments: ["", "s", "10x", "1d-2h", "ten seconds", "-5"])
    func invalidDurations(_ text: String) {
        #expect(HumanDuration.parse(text) == nil)
    }

    @Test(
        "sizes are powers of 1024",
        arguments: [("500M", Int64(524_288_000)), ("10G", 10_737_418_240), ("64K", 65_536), ("1KiB", 1024), ("2MB", 2_097_152), ("123", 123)]
    )
    func sizes(_ text: String, _ expected: Int64) {
        #expect(HumanByteCount.parse(text) == expected)
    }

    @Test("a YAML alias bomb is stopped")
    func aliasBomb() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let (_, paths) = try write(["bomb.yaml": text])
        let problems = issues { _ = try ConfigLoader(environment: [:]).load(files: [paths["bomb.yaml"]!]) }
        #expect(problems.first?.contains("too many values") == true, "\(problems)")
    }

    @Test("printing masks secrets")
    func printing() throws {
        let (_, paths) = try write(["p.yaml": "authentication:\n  users:\n    - {username: demo, password: hunter2}\nport: 8080\n"])
        let text = try ConfigLoader(environment: [:]).load(files: [paths["p.yaml"]!]).yamlText()
        #expect(!text.contains("hunter2"))
        #expect(text.contains("password: '********'"))
        #expect(text.contains("port: 8080"))
    }

    @Test("printing masks password hashes, headers and environments, whose values are often credentials")
    func printingSections() throws {
        let yaml = """
            authentication: {users: [{username: demo, password-hash: "pbkdf2-sha256$600000$c2FsdA==$hash"}]}
            datasources:
              portal: {type: http, headers: {Authorization: "Bearer portal-token-1"}, client-secret: s2}
              mars: {type: command, environment: {MARS_USER_TOKEN: mars-token-2}, command: [mars]}
            """
        let (_, paths) = try write(["s.yaml": yaml])
        let text = try ConfigLoader(environment: [:]).load(files: [paths["s.yaml"]!]).yamlText()
        for secret in ["pbkdf2-sha256$600000", "portal-token-1", "mars-token-2", "s2\n"] { #expect(!text.contains(secret), "\(text)") }
        #expect(text.contains("Authorization: '********'"), "\(text)")
        #expect(text.contains("MARS_USER_TOKEN: '********'"), "\(text)")
        #expect(text.contains("- mars"), "\(text)")
    }

    @Test("durations beyond 100 years are refused, not left to overflow", arguments: ["1e20", "99999999999999999d", "36600000d", "20000d20000d"])
    func hugeDurations(_ text: String) {
        #expect(HumanDuration.parse(text) == nil)
    }

    @Test("printing masks passwords inside URLs, and only those")
    func printingURLs() throws {
        let yaml = """
            store: {type: postgres, url: "postgres://polytope:s3cr3t@db1:5432/polytope?sslmode=require"}
            other: {a: "postgres://polytope@db1/polytope", b: "https://example.int/a:b@c", c: "https://u:p@h"}
            """
        let (_, paths) = try write(["u.yaml": yaml])
        let text = try ConfigLoader(environment: [:]).load(files: [paths["u.yaml"]!]).yamlText()
        #expect(!text.contains("s3cr3t"), "\(text)")
        #expect(text.contains("postgres://polytope:********@db1:5432/polytope?sslmode=require"), "\(text)")
        #expect(text.contains("postgres://polytope@db1/polytope"), "\(text)")
        #expect(text.contains("https://example.int/a:b@c"), "\(text)")
        #expect(text.contains("https://u:********@h"), "\(text)")
    }
}
