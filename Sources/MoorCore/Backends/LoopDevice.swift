#if canImport(Glibc)
import Glibc
#endif

/// Loop devices for sparse-file disks. Which file backs which device is read
/// from sysfs (`/sys/block/loopN/loop/backing_file`), not from losetup's text.
public struct LoopDevices: Sendable {
    let runner: any CommandRunning

    public init(runner: any CommandRunning) { self.runner = runner }

    /// The backing file of `/dev/loopN`, or nil if it is not a bound loop device.
    public static func backingFile(of device: String) -> String? {
        guard device.hasPrefix("/dev/loop"), let name = device.split(separator: "/").last,
              let text = try? Sys.readText("/sys/block/\(name)/loop/backing_file") else { return nil }
        var path = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }

    /// Every loop device bound to `file`.
    public static func devices(backedBy file: String) -> [String] {
        let names = (try? Sys.listDirectory("/sys/block")) ?? []
        return names.filter { $0.hasPrefix("loop") }.map { "/dev/" + $0 }
            .filter { backingFile(of: $0) == file }.sorted()
    }

    /// Binds `file` to a loop device, reusing one already bound to it.
    public func attach(_ file: String, deadline: Deadline) throws -> String {
        if let existing = Self.devices(backedBy: file).first { return existing }
        // No --nooverlap: it opens every loop device on the node to compare,
        // which turns other volumes' concurrent detaches into deferred ones.
        // The caller holds the volume's lock, so nobody else binds `file` now.
        let result = try runner.run(Command("losetup", ["--find", "--show", "--", file],
                                            timeout: deadline.remaining(for: "losetup")))
        try result.check("losetup")
        let device = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        guard device.hasPrefix("/dev/loop") else {
            throw MoorError(.system, "losetup did not name a loop device for \(file)")
        }
        return device
    }

    /// Detaches `device`; a device that is already free counts as detached.
    /// If another process has the device open at that moment (a probe), the
    /// kernel only marks it for autoclear, so wait briefly for it to go.
    public func detach(_ device: String, deadline: Deadline) throws {
        guard let backing = Self.backingFile(of: device) else { return }
        let result = try runner.run(Command("losetup", ["--detach", device], timeout: deadline.remaining(for: "losetup")))
        if !result.succeeded && Self.backingFile(of: device) != nil { try result.check("losetup --detach") }
        let clock = ContinuousClock()
        let end = clock.now + .seconds(2)
        while Self.backingFile(of: device) == backing, clock.now < end {
            usleep(10_000)
        }
    }
}
