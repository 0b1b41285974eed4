import Foundation
import Testing

@testable import StagingS3

/// Checked against the worked examples of the AWS documentation ("Signature Calculations for
/// the Authorization Header" and "Query String Authentication", GET /test.txt).
@Suite("SigV4 signing")
struct SigV4SignerTests {
    let signer = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test("the Authorization header of a ranged GET")
    func authorizationHeader() {
        let headers = signer.signedHeaders(
            method: "GET", path: "/test.txt", query: [], headers: ["Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"],
            payloadHash: SigV4Signer.emptyPayloadHash, date: date
        )
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(
            headers["Authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test("a presigned GET URL")
    func presignedURL() {
        let url = signer.presignedURL(scheme: "https", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", expires: 86_400, date: date)
        #expect(
            url
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    @Test("query parameters are encoded and sorted as SigV4 requires")
    func canonicalQuery() {
        #expect(
            SigV4Signer.canonicalQuery([("prefix", "a b/ü"), ("list-type", "2"), ("uploads", "")]) == "list-type=2&prefix=a%20b%2F%C3%BC&uploads=")
        #expect(SigV4Signer.encodePath("/bucket/a b/c~d") == "/bucket/a%20b/c~d")
    }

    @Test("S3 timestamps with and without fractions; an unreadable one counts as now")
    func dates() {
        #expect(S3Client.parseDate("2026-11-29T13:05:09.500Z") == Date(timeIntervalSince1970: 1_795_957_509.5))
        #expect(S3Client.parseDate("2026-11-29T13:05:09Z") == Date(timeIntervalSince1970: 1_795_957_509))
        #expect(abs(S3Client.parseDate("yesterday").timeIntervalSinceNow) < 5)
    }
}
