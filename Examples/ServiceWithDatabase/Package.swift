// swift-tools-version:6.1
// A service whose tests need a database image, and whose deployment builds on a Swift base
// image: both declared in images.json and pinned in images.lock.json. Its tests get the
// database into the engine with the `.images` trait of ImagesTesting; people and CI use
// `swift package images …` (the ImagesPlugin of swift-images).
import PackageDescription

let package = Package(
    name: "ServiceWithDatabase",
    dependencies: [
        // In your package: .package(url: "https://github.com/…/swift-images.git", from: "…")
        .package(name: "swift-images", path: "../..")
    ],
    targets: [
        .target(name: "Service"),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["Service", .product(name: "ImagesTesting", package: "swift-images")]
        ),
    ]
)
