import Foundation

extension Workspace {
    /// `images ls --engine`: every declared image, present, missing or stale in the daemon.
    public func listInEngine() async throws -> [EngineListing] {
        let manifest = try requiredManifest
        return try await ListWorkflow(store: store).inEngine(engine(), declared: manifest.images, lock: existingLock())
    }

    /// `images inspect REF --engine`: the daemon's view of an image, `{"image": …, "history": …}`.
    public func inspectInEngine(_ text: String) async throws -> Data {
        try await InspectWorkflow.inEngine(text, engine: engine())
    }
}
