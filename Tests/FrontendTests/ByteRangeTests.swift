import Testing

@testable import Frontend

@Suite("Range headers")
struct ByteRangeTests {
    @Test("ranges resolve against the object's size as RFC 9110 §14 says")
    func resolution() {
        #expect(ByteRange(header: nil, size: 100) == .whole)
        #expect(ByteRange(header: "bytes=10-19", size: 100) == .partial(10..<20))
        #expect(ByteRange(header: "bytes=90-", size: 100) == .partial(90..<100))
        #expect(ByteRange(header: "bytes=90-500", size: 100) == .partial(90..<100))
        #expect(ByteRange(header: "bytes=-5", size: 100) == .partial(95..<100))
        #expect(ByteRange(header: "bytes=-500", size: 100) == .partial(0..<100))
        #expect(ByteRange(header: "bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=0-1,5-6", size: 100) == .whole)
        #expect(ByteRange(header: "items=0-1", size: 100) == .whole)
        #expect(ByteRange(header: "bytes=19-10", size: 100) == .whole)
    }

    @Test("the largest numbers a header can hold neither overflow nor stop the server")
    func extremes() {
        let max = Int64.max
        #expect(ByteRange(header: "bytes=0-\(max)", size: 100) == .partial(0..<100))
        #expect(ByteRange(header: "bytes=\(max)-\(max)", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-\(max)", size: 100) == .partial(0..<100))
        #expect(ByteRange(header: "bytes=0-\(max)0", size: 100) == .whole)
        #expect(ByteRange(header: "bytes=0-\(max)", size: max) == .partial(0..<max))
    }
}
