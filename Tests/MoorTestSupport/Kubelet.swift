import Foundation

/// Calls the built `moor` binary exactly as kubelet's driver-call.go does:
/// argv `[call, args...]` with no shell, the JSON options encoded like Go's
/// `json.Marshal(map[string]string)`, stdin from /dev/null, and stdout and
/// stderr captured together and parsed as ONE JSON value.
public struct Kubelet: Sendable {
    public let binary: String
    public let environment: [String: String]
    /// Argv to run moor under (e.g. `nsenter --net=...`), or empty.
    public let wrapper: [String]

    public init(binary: String = Kubelet.moorBinary, environment: [String: String], wrapper: [String] = []) {
        self.binary = binary
        self.environment = environment
        self.wrapper = wrapper
    }

    /// `MOOR_BIN` (the README's test command points it at the release
    /// build), else the debug build next to this package.
    public static var moorBinary: String {
        if let path = ProcessInfo.processInfo.environment["MOOR_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/moor").path
    }

    public struct Reply: Sendable {
        /// Everything the process wrote to stdout and stderr.
        public var output: String
        public var exitStatus: Int32
        public var object: [String: JSONValue]

        public var status: String? { object["status"]?.string }
        public var message: String { object["message"]?.string ?? "" }
    }

    public enum ReplyError: Error, CustomStringConvertible {
        case notOneJSONObject(String)
        public var description: String {
            switch self { case .notOneJSONObject(let output): "output is not exactly one JSON object: \(output.debugDescription)" }
        }
    }

    public func call(_ arguments: [String]) throws -> Reply {
        let process = Process()
        let argv = wrapper + [binary] + arguments
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MOOR_") }
        env.merge(environment) { $1 }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        // Go's json.Unmarshal: the whole buffer is one value, whitespace aside.
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data), let object = value.object else {
            throw ReplyError.notOneJSONObject(output)
        }
        return Reply(output: output, exitStatus: process.terminationStatus, object: object)
    }

    public func initialize() throws -> Reply { try call(["init"]) }

    public func mount(_ dir: String, _ options: [String: String]) throws -> Reply {
        try call(["mount", dir, Self.goJSON(options)])
    }

    public func unmount(_ dir: String) throws -> Reply { try call(["unmount", dir]) }

    /// The options kubelet adds to every `mount` of a PV.
    public static func podOptions(pv: String, readWrite: String = "rw", fsType: String = "") -> [String: String] {
        [
            "kubernetes.io/fsType": fsType,
            "kubernetes.io/pvOrVolumeName": pv,
            "kubernetes.io/readwrite": readWrite,
            "kubernetes.io/pod.name": "web-0",
            "kubernetes.io/pod.namespace": "default",
            "kubernetes.io/pod.uid": "8d1a7f9e-0000-4000-8000-000000000001",
            "kubernetes.io/serviceAccount.name": "default",
        ]
    }

    /// Go's `json.Marshal(map[string]string)`: keys sorted, `<` `>` `&`
    /// escaped as `\u003c` `\u003e` `\u0026`, U+2028/U+2029 escaped, no newline.
    public static func goJSON(_ map: [String: String]) -> String {
        "{" + map.keys.sorted().map { goString($0) + ":" + goString(map[$0]!) }.joined(separator: ",") + "}"
    }

    static func goString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A decoded JSON value, Sendable for Swift Testing.
public enum JSONValue: Sendable, Equatable, Decodable {
    case string(String), bool(Bool), number(Double), object([String: JSONValue]), array([JSONValue]), null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}
