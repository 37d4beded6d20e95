import MoorCore

/// kubelet's FlexVolume calls, mapped onto the core. Every call returns
/// exactly one reply; nothing here writes to stdout or stderr.
public struct FlexVolumeDriver {
    /// Builds the core on first use, so `init` never reads policy or state.
    let makeCore: () throws -> Core

    public init(makeCore: @escaping () throws -> Core) { self.makeCore = makeCore }

    /// Calls kubelet makes that moor answers itself. Everything else a
    /// kubelet may send (attach, waitforattach, mountdevice, getvolumename,
    /// expand*, and calls of future kubelets) is `Not supported`, which
    /// kubelet caches and replaces with its default.
    public static let verbs: Set<String> = ["init", "mount", "unmount"]

    /// Runs one call. `arguments` excludes the executable: `["mount", dir, json]`.
    public func run(_ arguments: [String]) -> FlexVolumeReply {
        guard let verb = arguments.first else { return .notSupported(nil) }
        switch verb {
        case "init":
            return .capabilities(.moor)
        case "mount":
            guard arguments.count >= 3 else { return .failure("mount needs <mount dir> <json options>") }
            return perform { try mount(dir: arguments[1], json: arguments[2]) }
        case "unmount":
            guard arguments.count >= 2 else { return .failure("unmount needs <mount dir>") }
            return perform { try makeCore().unpublish(arguments[1]) }
        default:
            return .notSupported(nil)
        }
    }

    func mount(dir: String, json: String) throws {
        let request = try FlexVolumeRequest(json: json)
        let definition = try request.definition()
        try makeCore().publish(definition, to: .init(target: dir, readOnly: request.readOnly, fsGroup: request.fsGroup))
    }

    private func perform(_ body: () throws -> Void) -> FlexVolumeReply {
        do {
            try body()
            return .success
        } catch {
            return .failure(MoorError.from(error).message)
        }
    }
}
