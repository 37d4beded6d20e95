import MoorCore

/// Request bodies of the volume-plugin protocol, as dockerd's generated
/// proxy (daemon/volume/drivers/proxy.go) encodes them.
enum DockerWire {
    struct Name: Decodable { var Name: String }
    struct Create: Decodable { var Name: String; var Opts: [String: String]? }
    struct Mount: Decodable { var Name: String; var ID: String }
    /// moor's own admin call: the volumes running containers use.
    struct Reconcile: Decodable { var InUse: [String] }
}

/// One HTTP answer: a status and a JSON body (dockerd fails to decode an empty one).
public struct DockerReply: Sendable, Equatable {
    public var status: Int
    public var body: String

    public init(status: Int = 200, body: String) {
        self.status = status
        self.body = body
    }

    /// The protocol's error form. 200 with `Err`, as dockerd treats both
    /// that and 500 the same, and retries neither.
    public static func error(_ message: String, status: Int = 200) -> DockerReply {
        DockerReply(status: status, body: #"{"Err":"# + JSONText.string(message) + "}")
    }

    public static let empty = DockerReply(body: #"{"Err":""}"#)
}
