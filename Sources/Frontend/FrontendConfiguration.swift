/// Settings of the frontend role.
public struct FrontendConfiguration: Sendable {
    /// The largest request body accepted (submissions are small; uploads come later).
    public var maximumBodySize: Int
    /// The externally visible base URL (`https://polytope.example.int`) used in `Location`
    /// headers; nil to derive it from the request's `Host` header.
    public var publicURL: String?
    /// Seconds suggested to clients between polls.
    public var retryAfterSeconds: Int

    public init(maximumBodySize: Int = 1 << 20, publicURL: String? = nil, retryAfterSeconds: Int = 1) {
        self.maximumBodySize = maximumBodySize
        self.publicURL = publicURL
        self.retryAfterSeconds = retryAfterSeconds
    }
}
