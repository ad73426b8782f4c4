import Testing

@testable import ImagesKit

@Suite struct WorkspaceTests {
    @Test func theDefaultCacheFollowsTheEnvironment() {
        #expect(Workspace.defaultCachePath(environment: ["SWIFT_IMAGES_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/c")
        #expect(Workspace.defaultCachePath(environment: ["SWIFT_IMAGES_CACHE": "", "XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/swift-images")
        #expect(Workspace.defaultCachePath(environment: ["XDG_CACHE_HOME": "", "HOME": "/h"]) == "/h/.cache/swift-images")
    }
}
