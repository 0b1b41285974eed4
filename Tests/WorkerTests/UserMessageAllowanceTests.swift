import Testing

@testable import Worker

@Suite("What one attempt may add to the user's message")
struct UserMessageAllowanceTests {
    @Test("a repeated line is dropped, long lines are cut, and lines beyond the maximum end in one notice")
    func bounded() {
        let allowance = UserMessageAllowance()
        #expect(allowance.admit("fetching") == "fetching")
        #expect(allowance.admit("fetching") == nil)
        let long = String(repeating: "x", count: 5_000)
        #expect(allowance.admit(long)?.count == UserMessageAllowance.maximumLineLength + 2)
        var admitted: [String] = []
        for n in 0..<100 { if let line = allowance.admit("line \(n)") { admitted.append(line) } }
        #expect(admitted.count == UserMessageAllowance.maximumLines - 1)
        #expect(admitted.last == "(further messages of this attempt left out)")
        #expect(allowance.admit("more") == nil)
    }
}
