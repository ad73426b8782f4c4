/// Where the service finds its database: the container the tests start from the
/// `postgres:16-alpine` image that `swift package images load` put into Docker.
public struct DatabaseSettings: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 5432) {
        self.host = host
        self.port = port
    }
}
