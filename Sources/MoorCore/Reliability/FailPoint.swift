#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Named points in the core where a test makes this process crash, fail or
/// stall, to prove what a crash at exactly that point leaves behind and
/// that the next call heals it.
///
/// Set `MOOR_FAILPOINT` to a comma-separated list of `<name>=<action>`:
/// - `kill`: SIGKILL to this process (the crash case: no cleanup runs);
/// - `error`: `hit` throws `MoorError(.system, "fail point <name>")`, so the
///   caller's unwinding runs as for a real failure;
/// - `sleep(<ms>)`: stall there, to widen a window for an outside kill.
///
/// For example `MOOR_FAILPOINT=loop.attached=kill` or
/// `MOOR_FAILPOINT=stage.mounted=sleep(20),bind.done=error`. A malformed
/// action acts as `error`, so a typo in a test cannot pass silently.
///
/// The points: `loop.attached` (a sparse disk's loop device is bound, not
/// yet mounted), `stage.mounted` (the staging mount exists, its record is
/// not written), `stage.recorded` (record written, not yet bound) and
/// `bind.done` (the consumer's bind exists, before publish returns).
///
/// The variable is read once per process, on the first `hit`. Unset, a
/// hit costs one atomic load; nothing runs at start-up.
public enum FailPoint {
    /// What a fail point does when hit.
    public enum Action: Equatable, Sendable {
        case kill, error, sleep(milliseconds: UInt32)
    }

    /// Parses a `MOOR_FAILPOINT` value into actions by point name.
    public static func parse(_ text: String) -> [String: Action] {
        var actions: [String: Action] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard parts.count == 2, !parts[0].isEmpty else { continue }
            actions[parts[0]] = action(parts[1])
        }
        return actions
    }

    static func action(_ text: String) -> Action {
        switch text {
        case "kill": return .kill
        case "error": return .error
        default:
            guard text.hasPrefix("sleep("), text.hasSuffix(")"),
                  let ms = UInt32(text.dropFirst(6).dropLast()) else { return .error }
            return .sleep(milliseconds: ms)
        }
    }

    /// Does what `MOOR_FAILPOINT` says for `name`, if anything.
    /// Throws only for an `error` action.
    public static func hit(_ name: String) throws {
        // 1: nothing configured (the normal case); 2: configured; 0: not read yet.
        if state.load(ordering: .relaxed) == 1 { return }
        guard let action = configured()[name] else { return }
        switch action {
        case .kill: Sys.killSelf()
        case .error: throw MoorError(.system, "fail point \(name)")
        case .sleep(let ms): Sys.sleep(milliseconds: ms)
        }
    }

    private static let state = Atomic<UInt8>(0)
    private static let actions = Mutex<[String: Action]?>(nil)

    private static func configured() -> [String: Action] {
        actions.withLock { cached in
            if let cached { return cached }
            let parsed = getenv("MOOR_FAILPOINT").map { parse(String(cString: $0)) } ?? [:]
            cached = parsed
            state.store(parsed.isEmpty ? 1 : 2, ordering: .relaxed)
            return parsed
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
