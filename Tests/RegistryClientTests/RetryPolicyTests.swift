import Foundation
import NIOHTTP1
import Testing

@testable import RegistryClient

/// When a registry is asked again, and how long the client waits.
@Suite struct RetryPolicyTests {
    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func answersWorthAskingAgain(status: Int) {
        #expect(RetryPolicy.isRetryable(HTTPResponseStatus(statusCode: status)))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 416])
    func answersNoRetryCanChange(status: Int) {
        #expect(!RetryPolicy.isRetryable(HTTPResponseStatus(statusCode: status)))
    }

    @Test func backoffDoublesFromHalfASecondUpToEightWithJitter() {
        let policy = RetryPolicy()
        for retry in 1...10 {
            let ceiling = min(Duration.milliseconds(500) * (1 << (retry - 1)), .seconds(8))
            for _ in 0..<50 {
                let wait = policy.backoff(retry: retry)
                #expect(wait >= ceiling / 2 && wait <= ceiling, "retry \(retry): \(wait)")
            }
        }
        #expect(RetryPolicy(attempts: 0).attempts == 1)
    }

    /// RFC 9110 §10.2.3: `Retry-After` is seconds or an HTTP date.
    @Test func retryAfterIsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 946_684_000)  // 1999-12-31T23:46:40Z
        #expect(RetryPolicy.retryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.retryAfter(" 7 ", now: now) == .seconds(7))
        #expect(RetryPolicy.retryAfter("-5", now: now) == .zero)
        #expect(RetryPolicy.retryAfter("Fri, 31 Dec 1999 23:59:59 GMT", now: now) == .seconds(799))
        #expect(RetryPolicy.retryAfter("Fri, 31 Dec 1999 23:00:00 GMT", now: now) == .zero)
        for unusable in [nil, "", "soon", "1e3", "99999999999999999999999"] {
            #expect(RetryPolicy.retryAfter(unusable, now: now) == nil, "\(unusable ?? "nil")")
        }
    }

    /// Docker Hub's headers: `RateLimit-Limit: 100;w=21600`, `RateLimit-Remaining: 76;w=21600`.
    @Test func rateLimitHeadersAreReadAndSaid() throws {
        let limit = try #require(
            RateLimit(headers: ["RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "76;w=21600"]))
        #expect(limit == RateLimit(headers: ["RateLimit-Remaining": "76;w=21600", "RateLimit-Limit": "100"]))
        #expect(limit.description == "76 of 100 pulls left per 6h")
        #expect(RateLimit(headers: ["RateLimit-Remaining": "3"])?.description == "3 pulls left")
        #expect(RateLimit(headers: ["RateLimit-Limit": "100;w=21600"]) == nil)
        #expect(RateLimit(headers: ["RateLimit-Remaining": "many"]) == nil)
    }
}
