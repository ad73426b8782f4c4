// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-images",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ImagesKit", targets: ["ImagesKit"]),
        .library(name: "ImagesTesting", targets: ["ImagesTesting"]),
        .executable(name: "images", targets: ["images"]),
        .plugin(name: "ImagesPlugin", targets: ["ImagesPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(name: "OCIModel", dependencies: ["CSHA256"]),
        // SHA-256 with the x86-64 SHA extensions, in inline assembly so that debug builds hash
        // at full speed too: the digests of everything the cache holds.
        .target(name: "CSHA256"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // Zstandard's decoder (lib/common and lib/decompress of zstd 1.5.7, unchanged), built here
        // so that neither the tool nor a package using its plugin needs libzstd's headers.
        .target(
            name: "CZstd",
            exclude: ["LICENSE", "README.md"],
            sources: ["common", "decompress"],
            publicHeadersPath: ".",
            cSettings: [
                .define("ZSTD_LEGACY_SUPPORT", to: "0"),
                .define("ZSTD_TRACE", to: "0"),
                .define("XXH_NAMESPACE", to: "ZSTD_"),
            ]
        ),
        // An HTTP/1.1 client on swift-nio: pooled connections over TCP, TLS or a unix socket,
        // streamed bodies, timeouts. What the registry and engine clients need and no more.
        .target(
            name: "HTTP1Client",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "RegistryClient",
            dependencies: [
                "OCIModel",
                "HTTP1Client",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        .target(
            name: "LayoutStore",
            dependencies: [
                "OCIModel",
                "CZlib",
                "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        .target(
            name: "LayoutRegistry",
            dependencies: [
                "LayoutStore",
                "OCIModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "DockerEngineClient",
            dependencies: [
                "OCIModel",
                "HTTP1Client",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "ImagesKit",
            dependencies: [
                "OCIModel",
                "HTTP1Client",
                "RegistryClient",
                "LayoutStore",
                "LayoutRegistry",
                "DockerEngineClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // A Swift Testing trait (`@Suite(.images("postgres:16"))`) for the tests of packages
        // that need images in the engine.
        .target(name: "ImagesTesting", dependencies: ["ImagesKit"]),
        .executableTarget(
            name: "images",
            dependencies: [
                "ImagesKit",
                "OCIModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .plugin(
            name: "ImagesPlugin",
            capability: .command(
                intent: .custom(
                    verb: "images",
                    description: "Lock, pull, load, report on and prune the container images of the package's images.json"
                ),
                permissions: [
                    .allowNetworkConnections(
                        scope: .all(), reason: "To fetch images from their registries and reach the Docker daemon's socket"),
                    .writeToPackageDirectory(reason: "To write images.lock.json next to images.json"),
                ]
            ),
            dependencies: ["images"]
        ),
        .testTarget(name: "OCIModelTests", dependencies: ["OCIModel"]),
        .testTarget(
            name: "HTTP1ClientTests",
            dependencies: [
                "HTTP1Client", "OCIModel", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["http_server.py"]
        ),
        .testTarget(name: "FuzzTests", dependencies: ["OCIModel", "LayoutStore"]),
        .testTarget(
            name: "RegistryClientTests",
            dependencies: [
                "RegistryClient", "HTTP1Client",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LayoutStoreTests",
            dependencies: [
                "LayoutStore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LayoutRegistryTests",
            dependencies: [
                "LayoutRegistry", "LayoutStore", "OCIModel",
                "HTTP1Client",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ImagesKitTests", dependencies: ["ImagesKit", "OCIModel", "RegistryClient"]),
        .testTarget(name: "ToolTests", dependencies: ["images", "ImagesKit"]),
        .testTarget(
            name: "DockerEngineClientTests",
            dependencies: ["DockerEngineClient", "HTTP1Client"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ImagesKit", "ImagesTesting", "RegistryClient", "LayoutStore", "OCIModel", "DockerEngineClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
