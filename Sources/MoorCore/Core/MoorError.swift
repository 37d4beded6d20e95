import SystemPackage

/// A failure the caller can act on. `kind` says what to do next; `message`
/// is safe to show a user (it never holds a secret or a raw mountinfo line).
public struct MoorError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case invalidOption, notFound, conflict, busy, forbidden, backendUnavailable
        case timedOut, corruptedMount, dataProtected, system
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Maps any error thrown by the core to a `MoorError`, once, at the edge.
    public static func from(_ error: any Error) -> MoorError {
        switch error {
        case let e as MoorError: return e
        case let e as OptionError: return MoorError(.invalidOption, e.userMessage)
        case let e as SystemCallError: return MoorError(e.errno.isCorruptedMount ? .corruptedMount : .system, e.description)
        case let e as HelperError: return MoorError(e.timedOut ? .timedOut : .system, e.description)
        default: return MoorError(.system, "\(error)")
        }
    }
}

/// A system call that failed, with the path it was about.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var path: String
    public var errno: Errno

    public init(_ call: String, _ path: String, _ errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(call) \(path): \(errno)" }
}

extension Errno {
    /// Errors that mean "something is mounted here but its backend is gone"
    /// (dead FUSE daemon, stale NFS handle): cleanup must go straight to
    /// unmount without stat. Same set as mount-utils' IsCorruptedMnt.
    public var isCorruptedMount: Bool {
        let corrupted: [Errno] = [.socketNotConnected, .staleNFSFileHandle, .ioError, .permissionDenied, .hostIsDown,
                                  .wouldBlock, .operationNotSupportedByDevice]
        return corrupted.contains(self)
    }
}
