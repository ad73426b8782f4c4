import Service
import Testing

@Test func theDefaultDatabaseIsLocal() {
    #expect(DatabaseSettings() == DatabaseSettings(host: "127.0.0.1", port: 5432))
}
