import HTTP1Client
import Foundation
import Logging
import Testing

@testable import RegistryClient

@Suite struct AuthChallengeTests {
    @Test func parsesDockerHubBearerChallenge() throws {
        let challenge = try #require(
            AuthChallenge(
                header:
                    #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.realm == "https://auth.docker.io/token")
        #expect(challenge.service == "registry.docker.io")
        #expect(challenge.scope == "repository:library/alpine:pull")
    }

    @Test func keepsCommasAndSpacesInsideQuotes() throws {
        let challenge = try #require(
            AuthChallenge(
                header:
                    #"Bearer realm="https://r.example/token", scope="repository:a:pull,push repository:b:pull",error="insufficient_scope""#
            ))
        #expect(challenge.scope == "repository:a:pull,push repository:b:pull")
        #expect(challenge.error == "insufficient_scope")
    }

    @Test func unescapesBackslashesAndAcceptsUnquotedValues() throws {
        let challenge = try #require(AuthChallenge(header: #"bearer realm="https://x/\"t\"",service=registry.example"#))
        #expect(challenge.realm == #"https://x/"t""#)
        #expect(challenge.service == "registry.example")
    }

    @Test func parsesBasicWithRealmAndNamesCaseInsensitively() throws {
        let challenge = try #require(AuthChallenge(header: #"Basic Realm="Registry Realm""#))
        #expect(challenge.scheme == "basic")
        #expect(challenge.realm == "Registry Realm")
    }

    @Test func emptyHeaderIsNoChallenge() {
        #expect(AuthChallenge(header: "") == nil)
        #expect(AuthChallenge(header: "   ") == nil)
    }
}
