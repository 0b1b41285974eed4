import PolytopeCore
import Testing

@Suite("Request text parsing")
struct RequestTextParserTests {
    let parser = RequestTextParser()

    func words(_ text: String) throws -> [String: [String]] {
        let document = try parser.parse(text)
        return Dictionary(uniqueKeysWithValues: document.fields.compactMap { field in field.value.words.map { (field.key, $0) } })
    }

    @Test("YAML block mapping, as polytope-client sends it")
    func yamlMapping() throws {
        let document = try parser.parse("class: od\nparam: 2t/msl\nstep: [0, 6, 12]\ndate: -1\n")
        #expect(document.keys == ["class", "param", "step", "date"])
        #expect(document["param"] == .list(["2t", "msl"]))
        #expect(document["step"] == .list(["0", "6", "12"]))
        #expect(document["date"] == .list(["-1"]))
    }

    @Test("JSON and flow mappings")
    func jsonMapping() throws {
        #expect(try words(#"{"datasource": "echo", "levels": [1000, 850]}"#) == ["datasource": ["echo"], "levels": ["1000", "850"]])
        #expect(try words("datasource: dummy, size: 1024") == ["datasource": ["dummy"], "size": ["1024"]])
    }

    @Test("a document written as one JSON object reads back as the same document (federation forwards it so)")
    func objectJSONRoundTrip() throws {
        let document = try parser.parse(
            "class: od\nparam: 2t/msl\ndate: \"-1\"\nnote: 'say \"hi\" \\\\ bye'\nfeature: {type: timeseries, points: [[-9.1, 38.7]], axes: step}\n")
        let text = try document.objectJSON()
        #expect(try parser.parse(text) == document, "\(text)")
    }

    @Test(
        "MARS text",
        arguments: [
            "retrieve, class=od, param=2t/msl, date=-1",
            "class = od, param = 2t/msl, date = -1",
            "retrieve,\n  class = od,\n  param = 2t/msl,\n  date = -1",
            "CLASS=od\nPARAM=2t/msl\ndate=-1",
        ]
    )
    func marsText(_ text: String) throws {
        #expect(try words(text) == ["class": ["od"], "param": ["2t", "msl"], "date": ["-1"]])
    }

    @Test("MARS quoted values are kept whole")
    func marsQuoted() throws {
        #expect(try words(#"target = "out/a, b.grib", class = od"#) == ["target": ["out/a, b.grib"], "class": ["od"]])
        // What YAML would take for aliases, anchors, tags or separators inside MARS quotes.
        #expect(try words(#"retrieve, datasource=echo, target="out-*.grib""#) == ["datasource": ["echo"], "target": ["out-*.grib"]])
        #expect(
            try words(#"target='data:*', expr="x-!y", other="a, *b", more="a,&b""#)
                == ["target": ["data:*"], "expr": ["x-!y"], "other": ["a, *b"], "more": ["a,&b"]])
        let commas = "v=\"" + String(repeating: "a,", count: 210_000) + "a\""
        #expect(try words(commas)["v"]?.first?.count == 420_001, "one quoted value, however many commas")
    }

    @Test("* and & inside values are plain characters")
    func operatorsInValues() throws {
        #expect(try words("expr: a*b & c\nparam: 2t") == ["expr": ["a*b & c"], "param": ["2t"]])
        #expect(try words("param = *, expr = a&b") == ["param": ["*"], "expr": ["a&b"]])
    }

    @Test("a bare integer becomes `data`, as the reference server does")
    func bareInteger() throws {
        #expect(try words("1024") == ["data": ["1024"]])
    }

    @Test("plain values with / are lists; quoted values, paths and URLs stay whole")
    func slashes() throws {
        let document = try parser.parse("a: x/y\nb: 'x/y'\nc: /tmp/file\nd: http://host/path\n")
        #expect(document["a"] == .list(["x", "y"]))
        #expect(document["b"] == .list(["x/y"]))
        #expect(document["c"] == .list(["/tmp/file"]))
        #expect(document["d"] == .list(["http://host/path"]))
    }

    @Test("keys are case-insensitive and nested structures are kept")
    func keysAndNesting() throws {
        let document = try parser.parse("Class: od\nfeature: {type: timeseries, points: [[1, 2]]}\n")
        #expect(document["class"] == .list(["od"]))
        guard case .nested(.object(let feature)) = document["feature"] else {
            Issue.record("feature should be nested: \(String(describing: document["feature"]))")
            return
        }
        #expect(feature["type"] == .string("timeseries"))
    }

    @Test(
        "bad requests are refused with a precise message",
        arguments: [
            ("", "The request is empty."),
            ("   \n ", "The request is empty."),
            ("- a\n- b\n", "not a list"),
            ("a: 1\na: 2\n", "The key 'a' is given more than once."),
            ("class=od, class=rd", "'class' is given more than once"),
            ("a: [1, 2\n", "line"),
            ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
            ("a: !!binary aGVsbG8=", "tags are not allowed"),
            ("bad key!: 1", "not a valid request key"),
            (String(repeating: "k", count: 65) + ": 1", "not a valid request key: keys have at most 64 characters."),
            ("retrieve, class", "is not of the form key = value"),
            (#"a = "unclosed"#, "not closed"),
        ]
    )
    func refused(_ text: String, _ expected: String) {
        #expect {
            try parser.parse(text)
        } throws: { error in
            guard let error = error as? PolytopeError, error.code == .invalidRequest else { return false }
            return error.message.contains(expected)
        }
    }

    @Test("deep nesting is refused before the YAML parser recurses")
    func nestingBomb() {
        let bomb = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: PolytopeError.self) { try parser.parse(bomb) }
        let mapping = "a: " + String(repeating: "{b: ", count: 50) + "1" + String(repeating: "}", count: 50)
        #expect(throws: PolytopeError.self) { try parser.parse(mapping) }
    }

    @Test("a structured JSON request converts with sorted keys")
    func structuredRequest() throws {
        let document = try parser.document(from: ["size": .number(10), "datasource": .string("dummy"), "levels": .array([.number(1), .number(2)])])
        #expect(document.keys == ["datasource", "levels", "size"])
        #expect(document["size"] == .list(["10"]))
        #expect(document["levels"] == .list(["1", "2"]))
    }
}

@Suite("Simple YAML fast path")
struct SimpleYAMLFastPathTests {
    static let inputs: [String] = [
        "class: od\nparam: 2t/msl\ndate: -1\n",
        "class: od\r\nparam: 2t/msl\r\n",
        "date: '20240101'\nexpver: \"0001\"\ntarget: 'it''s/here'\n",
        "param:\n- 2t\n- msl\nstep:\n  - 0\n  - '6'\nlevelist:\n",
        "# a comment\nclass: od\n\nstream: oper   \n",
        "a: ~\nb: null\nc: NULL\nd: yes\ne: 1e3\nf: it's\ng: /tmp/x\nh: http://host/path\n",
        "Class: OD\nPARAM: 2T\n",
        "a: x/y/z\nb: x//y\nc: /x\nd: x/\n",
        "a: b # comment\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a:\n  b: 1\n",
        "a: &x 1\nb: *x\n",
        "a: 'unterminated\n",
        "a: \"esc\\\"aped\"\n",
        "- a\n- b\n",
        "---\na: 1\n",
        "a: b: c\n",
        "a: b:\n",
        "key with space: 1\n",
        "'quoted': 1\n",
        "a:\n- - nested\n",
        "a:\n-\n",
        "a: 1\n a: 2\n",
        "1024",
        "datasource: echo",
        "a: 1\na: 2\n",
        "a:\n- 1\na: 2\n",
        "a: |\n  block\n",
        "a: >\n  folded\n",
        "a: \t1\n",
    ]

    @Test("the fast path answers exactly as the full YAML parser", arguments: inputs)
    func sameAsFullParser(_ text: String) {
        var full = RequestTextParser()
        full.usesFastPath = false
        let fast = RequestTextParser()
        switch (Result { try full.parse(text) }, Result { try fast.parse(text) }) {
        case (.success(let expected), .success(let actual)):
            #expect(actual == expected)
        case (.failure(let expected), .failure(let actual)):
            #expect((expected as? PolytopeError)?.code == (actual as? PolytopeError)?.code)
        case (let expected, let actual):
            Issue.record("full parser: \(expected); fast path: \(actual)")
        }
    }
}
