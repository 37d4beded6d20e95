/// Parses sizes such as `64M`, `10G`, `512Mi`, `1Ti` or a plain byte count.
///
/// `K`/`M`/`G`/`T` and `Ki`/`Mi`/`Gi`/`Ti` are all powers of 1024: a disk of
/// `10G` is 10 GiB whether the user thinks in Docker or Kubernetes units,
/// which errs on the side of a larger volume. Case of the unit is ignored.
public enum ByteSize {
    public static let minimum: UInt64 = 1 << 20          // 1 MiB
    public static let maximum: UInt64 = 1 << 50          // 1 PiB, far above any real sparse file

    public static func parse(_ text: String) -> UInt64? {
        var digits = Substring(text)
        var unit = ""
        while let last = digits.last, last.isLetter {
            unit = String(last) + unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 16,
              let number = UInt64(digits) else { return nil }
        let shift: UInt64
        switch unit.lowercased() {
        case "", "b": shift = 0
        case "k", "ki", "kb": shift = 10
        case "m", "mi", "mb": shift = 20
        case "g", "gi", "gb": shift = 30
        case "t", "ti", "tb": shift = 40
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }
}
