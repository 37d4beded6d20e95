/// One line of `/proc/self/mountinfo` (proc(5)), with the kernel's octal
/// escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash) undone.
public struct MountEntry: Hashable, Sendable {
    public var id: Int
    public var parentID: Int
    public var major: UInt32
    public var minor: UInt32
    /// The path inside the file system that is mounted here (`/` for a whole
    /// file system, `/sub` for a bind of a subdirectory).
    public var root: String
    public var mountPoint: String
    public var options: [String]
    /// `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
    public var optionalFields: [String]
    public var fsType: String
    public var source: String
    public var superOptions: [String]
    /// The kernel appended ` (deleted)`: the mount point was removed or
    /// renamed under the mount (seen with stale NFS handles).
    public var isDeleted: Bool

    /// An entry as the kernel would list it (tests and fakes build these).
    public init(id: Int, parentID: Int, major: UInt32, minor: UInt32, root: String, mountPoint: String,
                options: [String], optionalFields: [String], fsType: String, source: String,
                superOptions: [String], isDeleted: Bool = false) {
        self.id = id
        self.parentID = parentID
        self.major = major
        self.minor = minor
        self.root = root
        self.mountPoint = mountPoint
        self.options = options
        self.optionalFields = optionalFields
        self.fsType = fsType
        self.source = source
        self.superOptions = superOptions
        self.isDeleted = isDeleted
    }

    public var device: DeviceNumber { DeviceNumber(major: major, minor: minor) }
    public var isReadOnly: Bool { options.contains("ro") }
    public var isShared: Bool { optionalFields.contains { $0.hasPrefix("shared:") } }
}

public struct DeviceNumber: Hashable, Sendable, CustomStringConvertible {
    public var major: UInt32
    public var minor: UInt32
    public init(major: UInt32, minor: UInt32) { self.major = major; self.minor = minor }
    public var description: String { "\(major):\(minor)" }
}

/// The mount table of this process's mount namespace: the truth about what
/// is mounted and how many consumers a staging mount has.
public struct MountTable: Sendable {
    public var entries: [MountEntry]

    public init(entries: [MountEntry]) { self.entries = entries }

    /// Parses mountinfo text. Lines that do not have the documented shape are
    /// skipped (and never echoed, since a source may hold credentials).
    /// Works on the UTF-8 bytes: Character-based splitting cost ~90,000
    /// instructions per line.
    public init(parsing text: String) {
        var text = text
        entries = text.withUTF8 { buffer in
            var result: [MountEntry] = []
            var start = 0
            let count = buffer.count
            while start < count {
                var end = start
                while end < count && buffer[end] != 0x0A { end += 1 }
                if end > start, let entry = Self.parseLine(bytes: UnsafeBufferPointer(rebasing: buffer[start..<end])) {
                    result.append(entry)
                }
                start = end + 1
            }
            return result
        }
    }

    static func parseLine(_ line: Substring) -> MountEntry? {
        var text = String(line)
        return text.withUTF8 { parseLine(bytes: $0) }
    }

    static func parseLine(bytes line: UnsafeBufferPointer<UInt8>) -> MountEntry? {
        // Exactly one space separates fields; an empty source is an empty field.
        var fields: [Range<Int>] = []
        fields.reserveCapacity(12)
        var fieldStart = 0
        for i in 0..<line.count where line[i] == 0x20 {
            fields.append(fieldStart..<i)
            fieldStart = i + 1
        }
        fields.append(fieldStart..<line.count)
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self) }
        func unesc(_ r: Range<Int>) -> String { unescape(bytes: UnsafeBufferPointer(rebasing: line[r])) }
        guard fields.count >= 10,
              let separator = fields[6...].firstIndex(where: { $0.count == 1 && line[$0.lowerBound] == UInt8(ascii: "-") }),
              fields.count >= separator + 4 else { return nil }
        let numbers = text(fields[2]).split(separator: ":")
        guard let id = Int(text(fields[0])), let parent = Int(text(fields[1])), numbers.count == 2,
              let major = UInt32(numbers[0]), let minor = UInt32(numbers[1]) else { return nil }
        var mountPoint = unesc(fields[4])
        var deleted = false
        if mountPoint.hasSuffix(" (deleted)") {
            mountPoint.removeLast(" (deleted)".count)
            deleted = true
        }
        var options: [String] = []
        var optionStart = fields[5].lowerBound
        for i in fields[5] where line[i] == UInt8(ascii: ",") {
            if i > optionStart { options.append(text(optionStart..<i)) }
            optionStart = i + 1
        }
        if fields[5].upperBound > optionStart { options.append(text(optionStart..<fields[5].upperBound)) }
        return MountEntry(
            id: id, parentID: parent, major: major, minor: minor,
            root: unesc(fields[3]), mountPoint: mountPoint,
            options: options,
            optionalFields: fields[6..<separator].map { text($0) },
            fsType: unesc(fields[separator + 1]), source: unesc(fields[separator + 2]),
            superOptions: splitOptions(unesc(fields[separator + 3])),
            isDeleted: deleted)
    }

    /// Undoes the kernel's `\ooo` escapes.
    static func unescape(bytes field: UnsafeBufferPointer<UInt8>) -> String {
        guard field.contains(UInt8(ascii: "\\")) else { return String(decoding: field, as: UTF8.self) }
        var bytes: [UInt8] = []
        let utf8 = Array(field)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let value = octal(utf8[(i + 1)...].prefix(3)) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count == 3 else { return nil }
        var value: UInt32 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt32(d - UInt8(ascii: "0"))
        }
        return value <= 0xff ? UInt8(value) : nil
    }

    /// Splits on commas, except inside double quotes (SELinux `context="a,b"`).
    static func splitOptions(_ text: String) -> [String] {
        var result: [String] = [], quoted = false
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                if bytes[i] == UInt8(ascii: "\"") { quoted.toggle() }
                if bytes[i] == UInt8(ascii: ",") && !quoted {
                    result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                    start = i + 1
                }
            }
            if start < bytes.count { result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)) }
        }
        return result
    }

    /// The topmost mount at exactly `path` (the last one mounted there).
    public func mount(at path: String) -> MountEntry? {
        entries.last { $0.mountPoint == path }
    }

    public func isMountPoint(_ path: String) -> Bool { mount(at: path) != nil }

    /// Every mount of the file system on `device`.
    public func mounts(of device: DeviceNumber) -> [MountEntry] {
        entries.filter { $0.device == device }
    }

    /// Mounts whose mount point is `directory` or below it.
    public func mounts(under directory: String) -> [MountEntry] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return entries.filter { $0.mountPoint == directory || $0.mountPoint.hasPrefix(prefix) }
    }

    /// The mount that contains `path`: the longest mount point that prefixes it.
    public func containing(_ path: String) -> MountEntry? {
        // On a tie (stacked mounts) the later entry is the visible one.
        entries.filter { $0.mountPoint == "/" || path == $0.mountPoint || path.hasPrefix($0.mountPoint + "/") }
            .reduce(nil) { best, entry in
                guard let best, best.mountPoint.count > entry.mountPoint.count else { return entry }
                return best
            }
    }
}
