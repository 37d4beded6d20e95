/// `moor doctor`: checks a node for what each backend needs.
public enum Doctor {
    /// Where to look. Defaults are the ones kubelet, dockerd and moor use.
    public struct Settings: Sendable {
        public var pluginDir: String?
        public var stateDir: String?
        public var dockerPluginSocket: String?
        public init() {}
    }

    public static func examine(_ settings: Settings) -> DoctorReport {
        DoctorReport(findings: [])
    }
}

/// What `moor doctor` found.
public struct DoctorReport: Sendable {
    public var findings: [String]
    public var text: String { findings.joined(separator: "\n") }
    public var json: String { "{}" }
    public var hasProblems: Bool { false }
}
