import Yams

/// Building and editing Yams nodes. Editing works on the parsed tree so that
/// every field moor does not touch (claimRef, nodeAffinity, annotations, ...)
/// is written back as it was read.
extension Node {
    /// A string scalar, quoted only where YAML would read it as something
    /// else (`"true"`, `"0750"`): Kubernetes wants strings in `options`.
    static func string(_ text: String) -> Node {
        (try? text.represented()) ?? Node(text, Tag(.str), .doubleQuoted)
    }

    static func map(_ pairs: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { (Node.string($0.0), $0.1) }))
    }

    static func stringMap(_ values: [String: String]) -> Node {
        map(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    static func sequence(_ items: [Node]) -> Node { .sequence(Node.Sequence(items)) }

    subscript(key key: String) -> Node? {
        get { mapping?[Node(key)] }
        set {
            guard var mapping else { return }
            mapping[Node(key)] = newValue
            self = .mapping(mapping)
        }
    }

    /// The value at a dotted path of mapping keys.
    func at(_ path: [String]) -> Node? {
        var node: Node? = self
        for key in path { node = node?[key: key] }
        return node
    }

    /// Sets (or, with nil, removes) the value at a path, creating mappings on the way.
    mutating func set(_ path: [String], _ value: Node?) {
        guard let first = path.first else { return }
        if path.count == 1 { self[key: first] = value; return }
        var child = self[key: first] ?? .mapping(Node.Mapping([]))
        child.set(Array(path.dropFirst()), value)
        self[key: first] = child
    }

    /// Keys of a mapping, in document order.
    var keys: [String] { mapping?.keys.compactMap(\.string) ?? [] }

    /// Scalars as text (`true`, `3`, `x`), for reading values that
    /// Kubernetes types as bool or int but YAML may carry either way.
    var text: String? { scalar?.string }

    /// The same tree in block style with plain scalars where they stay
    /// strings: JSON input comes back as ordinary YAML.
    func normalized() -> Node {
        switch self {
        case .scalar(let scalar):
            guard scalar.style != .plain && scalar.style != .any else { return .scalar(Node.Scalar(scalar.string, scalar.tag)) }
            return .string(scalar.string)
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { ($0.key.normalized(), $0.value.normalized()) }))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map { $0.normalized() }))
        case .alias:
            return self
        }
    }
}

enum YAMLText {
    /// Documents joined the way kubectl reads them.
    static func documents(_ nodes: [Node]) throws -> String {
        try nodes.map { "---\n" + (try Yams.serialize(node: $0.normalized())) }.joined()
    }
}
