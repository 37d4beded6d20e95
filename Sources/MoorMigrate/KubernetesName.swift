/// Kubernetes' naming rules, for names and labels that come from Docker,
/// whose rules are looser (`_`, capitals, long values).
enum KubernetesName {
    /// A DNS-1123 subdomain: lower case, digits, `-` and `.`, at most 253.
    static func subdomain(_ name: String) -> String {
        var out = String(name.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "." || $0 == "-" ? $0 : "-" })
        while let first = out.first, !(first.isLetter || first.isNumber) { out.removeFirst() }
        while let last = out.last, !(last.isLetter || last.isNumber) { out.removeLast() }
        if out.isEmpty { out = "volume" }
        return String(out.prefix(253))
    }

    /// Splits Docker labels into valid Kubernetes labels and the rest,
    /// which go to annotations (no length or character limits there).
    static func splitLabels(_ labels: [String: String]) -> (labels: [String: String], annotations: [String: String]) {
        var valid: [String: String] = [:], other: [String: String] = [:]
        for (key, value) in labels {
            if isLabelKey(key), isLabelValue(value) { valid[key] = value } else { other[key] = value }
        }
        return (valid, other)
    }

    static func isLabelValue(_ value: String) -> Bool {
        value.isEmpty || (value.count <= 63 && isAlphanumeric(value.first!) && isAlphanumeric(value.last!)
            && value.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." })
    }

    static func isLabelKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty else { return false }
        if parts.count == 2 && (parts[0].isEmpty || parts[0].count > 253 || subdomain(String(parts[0])) != parts[0]) { return false }
        return isLabelValue(String(name))
    }

    static func isAlphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
}
