import Yams

/// One element of what `docker volume inspect` prints. Only the fields a
/// migration needs; `Status`, `Scope` and `CreatedAt` carry nothing to move.
public struct DockerVolumeInspect: Sendable, Equatable {
    public var name: String
    public var driver: String
    public var options: [String: String]
    public var labels: [String: String]
    public var mountpoint: String?

    public init(name: String, driver: String, options: [String: String] = [:], labels: [String: String] = [:], mountpoint: String? = nil) {
        self.name = name
        self.driver = driver
        self.options = options
        self.labels = labels
        self.mountpoint = mountpoint
    }

    /// Reads `docker volume inspect` output: a JSON array (or one object).
    /// JSON is YAML, so the YAML parser reads it and says where it broke.
    public static func parse(_ text: String) throws(MigrationInputError) -> [DockerVolumeInspect] {
        let root: Node
        do {
            let parser = try Parser(yaml: text)
            guard let first = try parser.nextRoot() else { throw MigrationInputError("input", "empty: expected what `docker volume inspect VOLUME...` prints") }
            if try parser.nextRoot() != nil { throw MigrationInputError("input", "more than one JSON value: expected one array") }
            root = first
        } catch let error as MigrationInputError {
            throw error
        } catch {
            throw MigrationInputError("input", "not valid JSON: \(error)")
        }
        let items: [Node]
        switch root {
        case .sequence(let sequence): items = Array(sequence)
        case .mapping: items = [root]
        default: throw MigrationInputError("input", "expected a JSON array of volumes, as `docker volume inspect` prints")
        }
        return try items.enumerated().map { (index, item) throws(MigrationInputError) in
            var subject = "volume \(index + 1)"
            guard item.mapping != nil else { throw MigrationInputError(subject, "expected a JSON object") }
            func string(_ key: String) throws(MigrationInputError) -> String {
                guard let value = item[key: key] else { throw MigrationInputError(subject, field: key, "missing") }
                guard let text = value.scalar?.string, value.scalar?.style != .plain || !["", "null", "~"].contains(text) else {
                    throw MigrationInputError(subject, field: key, "expected a string")
                }
                return text
            }
            func strings(_ key: String) throws(MigrationInputError) -> [String: String] {
                guard let value = item[key: key], value.scalar?.string != "null" else { return [:] }
                guard let mapping = value.mapping else { throw MigrationInputError(subject, field: key, "expected an object of strings") }
                var out: [String: String] = [:]
                for (k, v) in mapping {
                    guard let k = k.string, let v = v.scalar?.string else { throw MigrationInputError(subject, field: key, "expected an object of strings") }
                    out[k] = v
                }
                return out
            }
            let name = try string("Name")
            subject += " ('\(name)')"
            return DockerVolumeInspect(name: name, driver: try string("Driver"), options: try strings("Options"),
                                       labels: try strings("Labels"), mountpoint: item[key: "Mountpoint"]?.scalar?.string)
        }
    }
}
