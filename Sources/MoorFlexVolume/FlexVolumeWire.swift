import MoorCore

/// The JSON kubelet reads back from every call (driver-call.go's
/// DriverStatus). Built by hand so `init` never touches a JSON encoder.
public enum FlexVolumeReply: Equatable, Sendable {
    case success
    case failure(String)
    case notSupported(String?)
    case capabilities(FlexVolumeCapabilities)

    public var json: String {
        switch self {
        case .success:
            return #"{"status":"Success"}"#
        case .failure(let message):
            return #"{"status":"Failure","message":"# + JSONText.string(message) + "}"
        case .notSupported(let message):
            guard let message else { return #"{"status":"Not supported"}"# }
            return #"{"status":"Not supported","message":"# + JSONText.string(message) + "}"
        case .capabilities(let c):
            return #"{"status":"Success","capabilities":{"attach":\#(c.attach),"selinuxRelabel":\#(c.selinuxRelabel),"fsGroup":\#(c.fsGroup),"supportsMetrics":\#(c.supportsMetrics),"requiresFSResize":\#(c.requiresFSResize)}}"#
        }
    }
}

/// All five capabilities, always sent: kubelet pre-fills omitted ones with
/// attach:true, selinuxRelabel:true, fsGroup:true, requiresFSResize:true.
public struct FlexVolumeCapabilities: Equatable, Sendable {
    /// Mount-only: attach needs the driver on the control plane and gets no secrets.
    public var attach = false
    /// Relabelling fails on NFS and FUSE ("operation not supported").
    public var selinuxRelabel = false
    /// kubelet's recursive chown stalls on large network trees; moor applies
    /// fsGroup to the volume root itself instead.
    public var fsGroup = false
    /// kubelet's statfs of the pod dir would block on a dead NFS server.
    public var supportsMetrics = false
    /// moor does not implement expandfs.
    public var requiresFSResize = false

    public static let moor = FlexVolumeCapabilities()
}

/// The keys kubelet adds to the JSON options (driver-call.go).
public enum KubeletKey {
    public static let fsType = "kubernetes.io/fsType"
    public static let readWrite = "kubernetes.io/readwrite"
    public static let volumeName = "kubernetes.io/pvOrVolumeName"
    public static let fsGroup = "kubernetes.io/mounterArgs.FsGroup"
    /// Sent by kubelets before 1.15.
    public static let fsGroupLegacy = "kubernetes.io/fsGroup"
    public static let podName = "kubernetes.io/pod.name"
    public static let podNamespace = "kubernetes.io/pod.namespace"
    public static let secretPrefix = "kubernetes.io/secret/"
}
