import Foundation
import Testing

/// `registries.X.mirrors`: another registry of ours (the plain registry under a path prefix,
/// or distribution in pull-through mode) serves the images of an upstream that a counting proxy
/// stands for, so that what reaches the upstream is counted.
@Suite(.needsTestServices) struct MirrorTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// A fixture copied to a repository of its own, and the counting proxy as its upstream.
    func upstreamImage() throws -> (upstream: TestProxy, repository: String, reference: String) {
        let repository = TestServices.uniqueRepository("mirror")
        try services.copy("test/app:1", to: "\(repository)/app:1")
        let upstream = try TestProxy(["count", services.registry], scripts: services.scripts)
        return (upstream, repository, "\(upstream.address)/\(repository)/app:1")
    }

    func project(_ reference: String, mirrors: [String], upstream: TestProxy) throws -> Project {
        let list = mirrors.map { "\"\($0)\"" }.joined(separator: ", ")
        return try Project(images: [reference], extra: #""registries": {"\#(upstream.address)": {"mirrors": [\#(list)]}},"#)
    }

    @Test func aMirrorServesAndTheLockNamesTheUpstream() throws {
        let (upstream, repository, reference) = try upstreamImage()
        try services.copy("test/app:1", to: "shared/\(repository)/app:1")
        let mirrored = try project(reference, mirrors: ["\(services.registry)/shared"], upstream: upstream)
        let pull = try images(["pull", "-v"], in: mirrored)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("\(reference): served by mirror \(services.registry)/shared"))
        #expect(try upstream.requests() == 0)
        // The lock names the upstream, with the digest the upstream itself gives.
        let direct = try Project(images: [reference])
        #expect(try images(["lock"], in: direct).status == 0)
        #expect(try mirrored.lockText() == (try direct.lockText()))
        #expect(try images(["verify"], in: mirrored).status == 0)
    }

    @Test func aMirrorThatIsDownOrLacksTheImageHandsOverToTheRegistry() throws {
        let (upstream, _, reference) = try upstreamImage()
        let project = try project(reference, mirrors: ["127.0.0.1:1", "\(services.registry)/nothing-here"], upstream: upstream)
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("mirror 127.0.0.1:1 could not serve \(reference)"))
        #expect(pull.stderr.contains("mirror \(services.registry)/nothing-here could not serve \(reference)"))
        #expect(try upstream.requests() > 0)
        #expect(try images(["verify"], in: project).status == 0)
    }

    @Test func aPullThroughRegistryIsAMirror() throws {
        let (upstream, _, reference) = try upstreamImage()
        let pullThroughRegistry = try TestRegistry(
            scripts: services.scripts, config: "proxy:\n  remoteurl: http://\(services.registry)\n")
        let pullThrough = pullThroughRegistry.address
        let project = try project(reference, mirrors: [pullThrough], upstream: upstream)
        let pull = try images(["pull", "-v"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("served by mirror \(pullThrough)"))
        #expect(try upstream.requests() == 0)
        #expect(try images(["verify"], in: project).status == 0)
    }
}
