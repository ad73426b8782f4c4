#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory lock (`flock(2)`) on a file, shared by every process that opens the same cache.
/// Waiting polls without blocking a thread.
struct FileLock {
    let path: String

    /// Runs `body` while holding the lock: exclusively, or shared with other shared holders.
    func withLock<T>(shared: Bool = false, _ body: () async throws -> T) async throws -> T {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LayoutError.unwritable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        while flock(descriptor, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw LayoutError.unwritable(path: path, reason: "cannot lock: \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed to disk, then renamed over `path`.
/// With `replacing: false` an existing file is kept (the new one is linked only if none is
/// there), so that concurrent creators cannot overwrite each other.
func writeAtomically(_ bytes: [UInt8], to path: String, replacing: Bool = true) throws {
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
    let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw LayoutError.unwritable(path: path, reason: String(cString: strerror(errno)))
    }
    var failure: String?
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                return
            }
            offset += written
        }
    }
    if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
    close(descriptor)
    if failure == nil {
        if replacing {
            if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        } else {
            if link(temporary, path) != 0, errno != EEXIST { failure = String(cString: strerror(errno)) }
            unlink(temporary)
        }
    }
    if let failure {
        unlink(temporary)
        throw LayoutError.unwritable(path: path, reason: failure)
    }
}

/// `mkdir -p`, with the system's reason when it fails ("Not a directory", "Permission denied").
func makeDirectories(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o755) != 0, errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw LayoutError.unwritable(path: path, reason: prefix == path ? reason : "\(prefix): \(reason)")
        }
    }
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
        throw LayoutError.unwritable(path: path, reason: "it exists and is not a directory")
    }
}
