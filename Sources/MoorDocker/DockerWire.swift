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

/// A small JSON writer for replies: the shapes are fixed and few, and List
/// of a thousand volumes must be cheap.
public enum JSONText {
    public static func string(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `{"k":v,...}` from already-encoded values, keys in the given order.
    public static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
