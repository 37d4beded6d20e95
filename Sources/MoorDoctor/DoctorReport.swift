import FoundationEssentials

/// What `moor doctor` found, with a verdict per backend.
public struct DoctorReport: Sendable {
    /// `uname -r` of the node.
    public var kernel: String
    /// In check order, grouped by `FindingGroup` when printed.
    public var findings: [Finding]

    public init(kernel: String, findings: [Finding]) {
        self.kernel = kernel
        self.findings = findings
    }

    /// Whether a backend can work on this node, and what stops it.
    public struct BackendVerdict: Codable, Equatable, Sendable {
        public var backend: String
        public var usable: Bool
        /// Ids of the problems that stop it.
        public var blockedBy: [String]
    }

    /// Findings outside its own group that a backend needs too.
    static let alsoNeeded: [String: [String]] = [
        "disk": [], "nfs": [], "fuse": [],
        "iscsi": ["disk.ext4", "disk.blkid", "disk.mkfs.ext4", "disk.fsck"],
    ]
    static let backends = ["disk", "nfs", "iscsi", "fuse"]

    public var verdicts: [BackendVerdict] {
        Self.backends.map { backend in
            let needed = Set(Self.alsoNeeded[backend] ?? [])
            let blockers = findings.filter { finding in
                finding.status == .problem
                    && (finding.group.rawValue == backend || finding.group == .node || needed.contains(finding.id) || finding.id == "state.writable")
            }.map(\.id)
            return BackendVerdict(backend: backend, usable: blockers.isEmpty, blockedBy: blockers)
        }
    }

    public var problemCount: Int { findings.filter { $0.status == .problem }.count }
    public var warningCount: Int { findings.filter { $0.status == .warning }.count }
    /// `moor doctor` exits 1 exactly when this is true; warnings never fail it.
    public var hasProblems: Bool { problemCount > 0 }

    /// The report for people: a verdict per backend, then every finding by
    /// group, each one not ok followed by its fix.
    public var text: String {
        var lines = ["moor doctor: kernel \(kernel), \(problemCount) problem(s), \(warningCount) warning(s)", ""]
        for verdict in verdicts {
            let name = verdict.backend.padding(8)
            lines.append(verdict.usable ? "\(name) usable on this node"
                                        : "\(name) NOT usable on this node: \(verdict.blockedBy.joined(separator: ", "))")
        }
        let idWidth = min(32, findings.map(\.id.count).max() ?? 0)
        for group in FindingGroup.allCases {
            let inGroup = findings.filter { $0.group == group }
            guard !inGroup.isEmpty else { continue }
            lines.append("")
            lines.append("[\(group.rawValue)]")
            for finding in inGroup {
                lines.append("  \(finding.status.rawValue.padding(8)) \(finding.id.padding(idWidth))  \(finding.found)")
                if let fix = finding.fix { lines.append("  \("".padding(8)) \("".padding(idWidth))  fix: \(fix)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON document `moor doctor --json` prints. Versioned; keys sorted.
    struct Document: Codable {
        var version = 1
        var kernel: String
        var problems: Int
        var warnings: Int
        var backends: [BackendVerdict]
        var findings: [Finding]
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let document = Document(kernel: kernel, problems: problemCount, warnings: warningCount, backends: verdicts, findings: findings)
        // Encoding plain strings, numbers and arrays cannot fail.
        return String(decoding: try! encoder.encode(document), as: UTF8.self)
    }
}
