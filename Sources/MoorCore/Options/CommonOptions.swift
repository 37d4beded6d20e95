/// Options every volume type understands (`docs/options.md` lists them).
public struct CommonOptions: Hashable, Sendable {
    public var readOnly: Bool = false
    public var mountOptions = MountOptionList()
    public var uid: UInt32?
    public var gid: UInt32?
    public var mode: UInt32?
    /// Seconds the whole stage operation may take, including every helper.
    public var timeout: Duration

    public init(timeout: Duration = .seconds(120)) { self.timeout = timeout }

    static let idRange: ClosedRange<UInt64> = 0...4_294_967_294
    static let timeoutRange: ClosedRange<UInt64> = 1...3600

    /// Reads whichever common keys `reader` allows for its type.
    init(_ reader: inout OptionReader, defaultTimeout: Duration) throws(OptionError) {
        self.init(timeout: defaultTimeout)
        let allowed = reader.allowed
        if allowed.contains("readOnly") { readOnly = try reader.bool("readOnly") }
        if allowed.contains("mountOptions") { mountOptions = try reader.mountOptions("mountOptions") }
        if allowed.contains("uid") { uid = try reader.integer("uid", in: Self.idRange).map(UInt32.init) }
        if allowed.contains("gid") { gid = try reader.integer("gid", in: Self.idRange).map(UInt32.init) }
        if allowed.contains("mode"), let text = reader.string("mode") {
            guard text.count <= 5, let value = UInt32(text, radix: 8), value <= 0o7777 else {
                throw reader.error("mode", .malformed(expected: "an octal mode such as 0755"))
            }
            mode = value
        }
        if let seconds = try reader.integer("timeout", in: Self.timeoutRange) { timeout = .seconds(Int64(seconds)) }
    }
}
