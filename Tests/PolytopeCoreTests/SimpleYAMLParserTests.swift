import Testing

@testable import PolytopeCore

@Suite("Simple YAML parser coverage")
struct SimpleYAMLParserTests {
    @Test(
        "what polytope-client's yaml.safe_dump writes takes the fast path",
        arguments: [
            "class: od\ndate: '20240101'\nparam:\n- 2t\n- msl\nstep: 0/6/12\n",
            "datasource: echo\n",
            "datasource: dummy\nsize: 1024\n",
        ]
    )
    func takesFastPath(_ text: String) throws {
        #expect(try SimpleYAMLParser().parse(text) != nil)
    }

    @Test("anything unusual is left to the full parser", arguments: ["a: [1]\n", "a:\n  b: 1\n", "1024", "a: b # c\n", "- a\n"])
    func declines(_ text: String) throws {
        #expect(try SimpleYAMLParser().parse(text) == nil)
    }
}
