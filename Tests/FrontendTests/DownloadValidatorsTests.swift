import Foundation
import Testing

@testable import Frontend

@Suite("Download validators")
struct DownloadValidatorsTests {
    @Test("Last-Modified is an IMF-fixdate in GMT, as RFC 9110 §5.6.7 writes it")
    func httpDate() {
        #expect(DownloadValidators.httpDate(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DownloadValidators.httpDate(Date(timeIntervalSince1970: 1_796_533_134.9)) == "Sun, 06 Dec 2026 04:58:54 GMT")
        #expect(DownloadValidators.httpDate(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test("If-Range allows a range only for this result's entity tag or its exact date")
    func ifRange() {
        let validators = DownloadValidators(stagingKey: "abc.1", size: 10, stagedAt: Date(timeIntervalSince1970: 784_111_777))
        #expect(validators.entityTag == "\"abc.1-10\"")
        #expect(validators.allowsRange(ifRange: nil))
        #expect(validators.allowsRange(ifRange: "\"abc.1-10\""))
        #expect(validators.allowsRange(ifRange: "Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(!validators.allowsRange(ifRange: "W/\"abc.1-10\""))
        #expect(!validators.allowsRange(ifRange: "Sun, 06 Nov 1994 08:49:38 GMT"))
    }

    @Test("If-Match and If-Unmodified-Since hold for this result's tag, *, or a date not before it was staged")
    func preconditions() {
        let validators = DownloadValidators(stagingKey: "abc.1", size: 10, stagedAt: Date(timeIntervalSince1970: 784_111_777.5))
        #expect(validators.preconditionsHold(ifMatch: nil, ifUnmodifiedSince: nil))
        #expect(validators.preconditionsHold(ifMatch: "*", ifUnmodifiedSince: nil))
        #expect(validators.preconditionsHold(ifMatch: "\"x\", \"abc.1-10\"", ifUnmodifiedSince: nil))
        #expect(!validators.preconditionsHold(ifMatch: "\"nope\"", ifUnmodifiedSince: nil))
        #expect(!validators.preconditionsHold(ifMatch: "W/\"abc.1-10\"", ifUnmodifiedSince: nil), "weak tags never match strongly")
        #expect(validators.preconditionsHold(ifMatch: nil, ifUnmodifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(!validators.preconditionsHold(ifMatch: nil, ifUnmodifiedSince: "Sun, 06 Nov 1994 08:49:36 GMT"))
        #expect(validators.preconditionsHold(ifMatch: nil, ifUnmodifiedSince: "yesterday"), "an unreadable date is ignored")
        #expect(validators.preconditionsHold(ifMatch: "\"abc.1-10\"", ifUnmodifiedSince: "Mon, 01 Jan 1990 00:00:00 GMT"), "If-Match wins")
        #expect(DownloadValidators.seconds(ofHTTPDate: "Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
    }
}
