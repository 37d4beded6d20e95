#if canImport(Glibc)
import Glibc
#endif

/// A host directory held open by an `O_PATH` descriptor that was reached
/// from `/` one component at a time with `openat(O_NOFOLLOW | O_DIRECTORY)`.
/// No symlink anywhere in the path is followed, so the path as written is
/// the resolved path (the one the policy was checked against), and a bind
/// from `mountSource` (`/proc/self/fd/N`) mounts exactly the directory that
/// was checked, even if a component is swapped for a symlink after the walk.
///
/// Why a walk and not openat2(2) with `RESOLVE_BENEATH`: openat2 needs
/// Linux 5.6, and moor runs on legacy nodes with older kernels (RHEL 8 has
/// 4.18); and it would follow symlinks that stay inside the tree, where
/// "no symlinks at all" is simpler to audit and to explain.
struct HostDirectory {
    let fd: Int32
    let path: String
    /// moor created the directory in this call (`createPath`).
    let created: Bool

    /// The path a mount(2) of this very directory uses.
    var mountSource: String { "/proc/self/fd/\(fd)" }

    func close() { Sys.close(fd) }

    /// How to create a missing last component. Its parent must exist.
    struct Creation {
        var mode: UInt32
        var uid: UInt32?
        var gid: UInt32?
    }

    /// Why a host path could not be opened; `BindBackend` words it.
    enum Failure: Error {
        /// `prefix` does not exist; `isLast` when it is the whole path.
        case missing(prefix: String, isLast: Bool)
        /// `prefix` is a symlink to `target`.
        case symlink(prefix: String, target: String)
        /// `prefix` exists and is not a directory.
        case notDirectory(prefix: String)
        /// The directory opened is no longer at `path` (renamed or removed meanwhile).
        case moved(now: String)
        case system(SystemCallError)
    }

    /// Opens `path` (clean and absolute), creating its last component if it
    /// is missing and `create` is given.
    static func open(_ path: String, create: Creation?) throws(Failure) -> HostDirectory {
        precondition(PathCheck.isCleanAbsolute(path), "host path must be clean and absolute")
        let root: Int32
        do { root = try Sys.openDirectoryNoFollow(AT_FDCWD, "/", path: "/") } catch { throw .system(error) }
        let directory = try walk(from: root, base: "", components: path.split(separator: "/").map(String.init), create: create)
        do throws(Failure) {
            // The walk opened each component by name; a rename of an
            // ancestor meanwhile would leave the descriptor elsewhere.
            let now: String
            do throws(SystemCallError) { now = try Sys.readlink(AT_FDCWD, directory.mountSource, path: path) } catch { throw .system(error) }
            guard now == path else { throw .moved(now: now) }
        } catch {
            directory.close()
            throw error
        }
        return directory
    }

    /// Opens `relative` (clean, without a leading `/`) beneath the directory
    /// `root` (a staging mount), following no symlink below `root`: a share's
    /// `subdir` that is a symlink to `/etc` on the server's side must not
    /// become the node's `/etc` in a pod. `path` in failures is `root/relative`.
    static func open(_ relative: String, beneath root: String) throws(Failure) -> HostDirectory {
        precondition(PathCheck.isCleanAbsolute("/" + relative), "a path beneath a root must be clean and relative")
        let rootFD: Int32
        do { rootFD = try Sys.openDirectoryNoFollow(AT_FDCWD, root, path: root) } catch { throw .system(error) }
        return try walk(from: rootFD, base: root, components: relative.split(separator: "/").map(String.init), create: nil)
    }

    /// Walks `components` from the directory `start` (closed here), one
    /// `openat(O_NOFOLLOW)` at a time; `base` prefixes the paths in failures.
    private static func walk(from start: Int32, base: String, components: [String], create: Creation?) throws(Failure) -> HostDirectory {
        var current = start
        var walked = base
        var created = false
        for (index, name) in components.enumerated() {
            walked += "/" + name
            let isLast = index == components.count - 1
            let parent = current
            defer { Sys.close(parent) }
            do {
                current = try Sys.openDirectoryNoFollow(parent, name, path: walked)
            } catch where error.errno == .noSuchFileOrDirectory && isLast && create != nil {
                do {
                    created = try Sys.mkdir(parent, name, mode: 0o700, path: walked)
                    current = try Sys.openDirectoryNoFollow(parent, name, path: walked)
                } catch {
                    throw classify(error, parent: parent, name: name, prefix: walked, isLast: isLast)
                }
            } catch {
                throw classify(error, parent: parent, name: name, prefix: walked, isLast: isLast)
            }
        }
        let directory = HostDirectory(fd: current, path: walked.isEmpty ? "/" : walked, created: created)
        if created, let create, let error = directory.apply(create) {
            directory.close()
            throw .system(error)
        }
        return directory
    }

    /// Owner and mode of a directory just created 0700, so nobody used it
    /// before it had them; chown first, since it clears setgid.
    private func apply(_ create: Creation) -> SystemCallError? {
        do {
            if create.uid != nil || create.gid != nil { try Sys.chown(fd, uid: create.uid, gid: create.gid, path: path) }
            try Sys.chmod(mountSource, mode: create.mode)
            return nil
        } catch {
            return error
        }
    }

    private static func classify(_ error: SystemCallError, parent: Int32, name: String, prefix: String, isLast: Bool) -> Failure {
        switch error.errno {
        case .noSuchFileOrDirectory:
            return .missing(prefix: prefix, isLast: isLast)
        case .notDirectory, .tooManySymbolicLinkLevels:
            if let info = try? Sys.lstat(parent, name, path: prefix), info.st_mode & S_IFMT == S_IFLNK {
                return .symlink(prefix: prefix, target: (try? Sys.readlink(parent, name, path: prefix)) ?? "?")
            }
            return .notDirectory(prefix: prefix)
        default:
            return .system(error)
        }
    }
}
