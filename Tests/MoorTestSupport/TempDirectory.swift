import Foundation

/// A private directory under /tmp for one unit test, removed by `remove()`.
/// Unlike `TempRoot`, it has no layout and unmounts nothing: for tests
/// whose mounts go through `FakeMounter`.
public struct TempDirectory: Sendable {
    /// The directory's absolute path (`/tmp/moor-unit-XXXXXX`).
    public let path: String

    /// Creates the directory with mkdtemp(3), mode 0700.
    public init() throws {
        var template = Array("/tmp/moor-unit-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    /// Creates `relative` (and its parents) below the directory and returns its path.
    @discardableResult
    public func directory(_ relative: String) throws -> String {
        let made = path + "/" + relative
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        return made
    }

    /// Removes the directory and everything in it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
