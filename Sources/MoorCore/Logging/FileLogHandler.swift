#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A swift-log handler that appends one line per message to a file outside
/// any plugin dir (`/var/log/moor/moor.log`, or `MOOR_LOG`). Never stdout
/// or stderr: kubelet parses every byte of those. The file is opened per
/// message with O_APPEND, so concurrent `moor` processes interleave whole lines.
public struct FileLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let path: String
    let label: String

    public static let defaultPath = "/var/log/moor/moor.log"

    public init(label: String, path: String) {
        self.label = label
        self.path = path
    }

    /// `MOOR_LOG` when set, else the default; `MOOR_LOG_LEVEL` sets the level.
    public static func fromEnvironment(label: String) -> FileLogHandler {
        let path = getenv("MOOR_LOG").map { String(cString: $0) } ?? defaultPath
        var handler = FileLogHandler(label: label, path: path)
        if let level = getenv("MOOR_LOG_LEVEL").flatMap({ Logger.Level(rawValue: String(cString: $0)) }) {
            handler.logLevel = level
        }
        return handler
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        let stamp = "\(Int(parts.tm_year) + 1900)" + "-" + pad(parts.tm_mon + 1) + "-" + pad(parts.tm_mday)
            + "T" + pad(parts.tm_hour) + ":" + pad(parts.tm_min) + ":" + pad(parts.tm_sec) + "Z"
        let line = "\(stamp) \(event.level) \(label)[\(getpid())]: \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
        var fd = try? Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
        if fd == nil, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try? Sys.mkdirs(String(path[..<slash]), mode: 0o755)
            fd = try? Sys.open(path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
        }
        guard let fd else { return }
        defer { Sys.close(fd) }
        try? Sys.writeAll(fd, Array(line.utf8), path)
    }

    private func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
