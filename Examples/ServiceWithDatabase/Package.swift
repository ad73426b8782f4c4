// swift-tools-version:6.1
// A service whose tests need a database image, and whose deployment builds on a Swift base
// image: both declared in images.json, pinned in images.lock.json, pulled and loaded into
// Docker with `swift package images …` (the ImagesPlugin of swift-images).
import PackageDescription

let package = Package(
    name: "ServiceWithDatabase",
    dependencies: [
        // In your package: .package(url: "https://github.com/…/swift-images.git", from: "…")
        .package(path: "../..")
    ],
    targets: [
        .target(name: "Service"),
        .testTarget(name: "ServiceTests", dependencies: ["Service"]),
    ]
)
