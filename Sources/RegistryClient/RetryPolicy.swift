import HTTP1Client
import Foundation
import NIOHTTP1

/// When and how long to wait before asking a registry again: 408, 429 and 5xx answers and
/// broken connections are retried with exponential backoff and jitter, bounded in count and in
/// the longest wait; other answers (400, 401, 403, 404…) never are.
public struct RetryPolicy: Hashable, Sendable {
    /// Tries in all, the first included.
    public var attempts: Int
    /// The wait before the first retry; each next one doubles, up to `maximumDelay`.
    public var initialDelay: Duration
    public var maximumDelay: Duration
    /// The longest `Retry-After` waited for; a registry that asks for longer fails the request
    /// at once, saying when to come back.
    public var maximumRetryAfter: Duration

    public init(
        attempts: Int = 5, initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(8),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Never retry.
    public static let never = RetryPolicy(attempts: 1)

    /// Whether an answer with this status is worth asking again.
    static func isRetryable(_ status: HTTPResponseStatus) -> Bool {
        status == .requestTimeout || status == .tooManyRequests || status.code >= 500
    }

    /// The wait before retry number `retry` (1 for the first): the doubled delay, of which a
    /// random half to whole, so that many clients do not come back at the same moment.
    func backoff(retry: Int) -> Duration {
        let doubled = initialDelay * (1 << min(retry - 1, 20))
        let capped = min(doubled, maximumDelay)
        return capped * Double.random(in: 0.5...1.0)
    }

    /// A `Retry-After` value: seconds, or an HTTP date.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}

/// What a registry says of its pull rate limit (Docker Hub's `RateLimit-Limit` and
/// `RateLimit-Remaining` headers: `100;w=21600`).
public struct RateLimit: Hashable, Sendable, Codable, CustomStringConvertible {
    public var limit: Int?
    public var remaining: Int
    /// The window the limit counts over, in seconds.
    public var window: Int?

    init?(headers: HTTPHeaders) {
        guard let remaining = headers.first(name: "RateLimit-Remaining").flatMap(Self.parse) else { return nil }
        let limit = headers.first(name: "RateLimit-Limit").flatMap(Self.parse)
        self.remaining = remaining.count
        self.limit = limit?.count
        self.window = remaining.window ?? limit?.window
    }

    /// `76;w=21600` → (76, 21600).
    static func parse(_ value: String) -> (count: Int, window: Int?)? {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let count = Int(first) else { return nil }
        let window = parts.dropFirst().first { $0.hasPrefix("w=") }.flatMap { Int($0.dropFirst(2)) }
        return (count, window)
    }

    public var description: String {
        var text = limit.map { "\(remaining) of \($0) pulls left" } ?? "\(remaining) pulls left"
        if let window { text += " per \(window / 3600 > 0 ? "\(window / 3600)h" : "\(window)s")" }
        return text
    }
}
