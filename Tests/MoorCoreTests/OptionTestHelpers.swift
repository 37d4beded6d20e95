@testable import MoorCore

/// The error `VolumeDefinition.parse` throws for these options, or nil if it accepted them.
func parseError(_ options: [String: String], secrets: [String: Secret] = [:], name: String? = nil) -> OptionError? {
    do {
        _ = try VolumeDefinition.parse(options, secrets: secrets, name: name)
        return nil
    } catch {
        return error
    }
}

extension VolumeDefinition {
    var disk: DiskSpec? { if case .disk(let spec) = spec { spec } else { nil } }
    var nfs: NFSSpec? { if case .nfs(let spec) = spec { spec } else { nil } }
    var iscsi: ISCSISpec? { if case .iscsi(let spec) = spec { spec } else { nil } }
    var fuse: FUSESpec? { if case .fuse(let spec) = spec { spec } else { nil } }
    var bind: BindSpec? { if case .bind(let spec) = spec { spec } else { nil } }
}

extension OptionError.Problem {
    var isMalformed: Bool { if case .malformed = self { true } else { false } }
    var isConflict: Bool { if case .conflict = self { true } else { false } }
}
