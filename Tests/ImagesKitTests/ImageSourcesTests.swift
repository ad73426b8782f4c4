import Foundation
import Testing

@testable import ImagesKit

/// `images init`'s reading of the files that already name images.
struct ImageSourcesTests {
    @Test func dockerfileStagesArgumentsContinuationsAndTheEscapeDirective() {
        let dockerfile = """
            # syntax=docker/dockerfile:1
            ARG SWIFT=6.3
            ARG BASE_IMAGE="ubuntu:24.04"
            ARG UNSET
            FROM swift:${SWIFT}-noble AS build
            RUN swift build -c release
            from --platform=linux/arm64 \\
              # a comment inside a continued instruction
              postgres:16-alpine as database
            FROM build AS tested
            FROM --platform=$BUILDPLATFORM golang:1.22 AS tools
            FROM $BASE_IMAGE
            FROM ${UNSET}/app:1
            FROM ${UNSET:-ghcr.io/acme/app}:2
            FROM scratch
            ARG LATE=late:1
            FROM $LATE
            COPY --from=build /app /app
            """
        let mentions = ImageSources.dockerfileMentions(dockerfile)
        #expect(mentions.map(\.text) == [
            "swift:6.3-noble", "postgres:16-alpine", "golang:1.22", "ubuntu:24.04", "${UNSET}/app:1", "ghcr.io/acme/app:2", "$LATE",
        ])
        #expect(mentions.map(\.line) == [5, 7, 11, 12, 13, 14, 17])
        #expect(mentions[1].platform == "linux/arm64")
        #expect(mentions[2].platform == nil, "$BUILDPLATFORM is the builder's, not a literal platform")
        #expect(mentions[4].problem?.contains("$UNSET") == true)
        #expect(mentions[6].problem?.contains("$LATE") == true, "an ARG after the first FROM is a stage's, not FROM's")
    }

    @Test func theBacktickEscapeOfWindowsDockerfiles() {
        let dockerfile = "# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir c:\\\n"
        #expect(ImageSources.dockerfileMentions(dockerfile).map(\.text) == ["mcr.microsoft.com/windows/servercore:ltsc2022"])
    }

    @Test func composeAndWorkflowKeysInBlockAndFlowStyle() {
        let compose = """
            services:
              db:
                image: "postgres:16"   # the database
              cache: { image: 'redis:7-alpine', ports: ["6379"] }
              app:
                build: .
                image: ${REGISTRY:-localhost}/app:${TAG}
              # image: commented:out
            """
        let mentions = ImageSources.yamlMentions(compose, kind: .compose)
        #expect(mentions.map(\.text) == ["postgres:16", "redis:7-alpine", "${REGISTRY:-localhost}/app:${TAG}"])
        #expect(mentions.map(\.line) == [3, 4, 7])
        #expect(mentions[2].problem != nil)

        let workflow = """
            jobs:
              test:
                container: swift:6.3
                services:
                  postgres:
                    image: postgres:16
                  docker: { image: "docker:dind" }
              other:
                container:
                  image: swift:6.2-jammy
                  options: --privileged
                steps:
                  - uses: docker://alpine:3.20
                  - uses: actions/checkout@v4
                  - run: echo "container: not:this"
              matrix:
                container: ${{ matrix.image }}
            """
        let found = ImageSources.yamlMentions(workflow, kind: .githubWorkflow)
        #expect(found.map(\.text) == ["swift:6.3", "postgres:16", "docker:dind", "swift:6.2-jammy", "alpine:3.20", "${{ matrix.image }}"])
        #expect(found.last?.problem != nil)
        #expect(ImageSources.yamlMentions("container: swift:6.3", kind: .compose).isEmpty, "container: is a workflow key")
    }

    @Test func whichFilesAreRead() {
        let kinds: [(String, ImageSources.Kind?)] = [
            ("Dockerfile", .dockerfile), ("docker/Dockerfile.test", .dockerfile), ("ci/app.Dockerfile", .dockerfile),
            ("Containerfile", .dockerfile), ("compose.yaml", .compose), ("docker-compose.yml", .compose),
            ("deploy/docker-compose.prod.yaml", .compose), ("compose.override.yml", .compose),
            (".github/workflows/ci.yml", .githubWorkflow), ("docs/.github/workflows/ci.yml", nil),
            (".gitlab-ci.yml", .gitlabCI), ("Dockerfile.md", nil), ("Dockerfile.dev", .dockerfile), ("notes.yml", nil), ("composer.yaml", nil),
        ]
        for (path, kind) in kinds { #expect(ImageSources.Kind(path: path) == kind, "\(path)") }
    }

    @Test func aRepositoryScannedAndItsManifestWritten() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("init-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = [
            "Dockerfile": "FROM swift:6.3 AS build\nFROM ubuntu:24.04\n",
            "compose.yaml": "services:\n  db:\n    image: postgres:16\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    container: swift:6.3\n",
            ".build/checkouts/x/Dockerfile": "FROM ignored:1\n",
            "node_modules/y/compose.yml": "services: { a: { image: ignored:2 } }\n",
            ".hidden/Dockerfile": "FROM ignored:3\n",
            "bad/Dockerfile": "FROM UPPER/Case:1\n",
        ]
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let sources = ImageSources.scan(directory: root)
        // In the order first met, files in path order.
        #expect(sources.found.map(\.reference) == ["swift:6.3", "ubuntu:24.04", "postgres:16"])
        #expect(sources.found.first?.sources == [".github/workflows/ci.yml:3", "Dockerfile:1"])
        #expect(sources.skipped.map(\.source) == ["bad/Dockerfile:1"])

        let text = sources.manifestText(hostPlatform: .init(os: "linux", architecture: "arm64"))
        let manifest = try ImagesManifest.decode(Data(text.utf8), path: root + "/images.json")
        #expect(manifest.images.map(\.reference.description) == [
            "docker.io/library/swift:6.3", "docker.io/library/ubuntu:24.04", "docker.io/library/postgres:16",
        ])
        #expect(manifest.platforms.map(\.description) == ["linux/amd64", "linux/arm64"])
    }
}
