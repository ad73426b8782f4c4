extension Result where Failure == any Error {
    /// The outcome of an async throwing operation, as `Result(catching:)` gives for a synchronous one.
    ///
    /// Child tasks of a task group return their outcome through this rather than with
    /// `do { return (key, .success(try await …)) } catch { return (key, .failure(error)) }`:
    /// Swift 6.3.1 miscompiles that shape in release builds when part of the tuple is known before
    /// the suspension (swiftlang/swift#91911): the group yields no results, or corrupt ones.
    /// `scripts/test.sh` runs the command-line tests against a release build for that reason.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
