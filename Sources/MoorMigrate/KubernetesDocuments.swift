import Yams

/// A stream of Kubernetes manifests (YAML or JSON, `---` between documents),
/// read whole before anything is written: a bad document stops the run with
/// its number and line, and nothing half-translated is printed.
struct KubernetesDocuments {
    struct Document {
        var index: Int
        var node: Node
        var kind: String
        var name: String
        var subject: String { "document \(index) (\(kind) '\(name)')" }
    }

    static func parse(_ text: String) throws(MigrationInputError) -> [Document] {
        var nodes: [Node] = []
        do {
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() { nodes.append(node) }
        } catch {
            throw MigrationInputError("document \(nodes.count + 1)", "not valid YAML or JSON: \(Self.oneLine(error))")
        }
        if nodes.isEmpty { throw MigrationInputError("input", "no documents: expected PersistentVolume or Pod manifests") }
        return try nodes.enumerated().map { (offset, node) throws(MigrationInputError) in
            let index = offset + 1
            guard node.mapping != nil else {
                throw MigrationInputError("document \(index)", "expected a Kubernetes object (a mapping with apiVersion and kind)")
            }
            guard let kind = node[key: "kind"]?.text, !kind.isEmpty else {
                throw MigrationInputError("document \(index)", field: "kind", "missing: every Kubernetes object names its kind")
            }
            let name = node.at(["metadata", "name"])?.text ?? ""
            return Document(index: index, node: node, kind: kind, name: name)
        }
    }

    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
