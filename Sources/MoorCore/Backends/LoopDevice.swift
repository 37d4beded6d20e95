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

    /// Binds `file` to a loop device, reusing one already bound to it. By
    /// ioctl (no helper process): ask /dev/loop-control for a free device and
    /// bind it; if another process binds that device first (EBUSY), ask
    /// again. Where the ioctls cannot be used (no /dev/loop-control or
    /// device node, as in some containers), `losetup` does it.
    public func attach(_ file: String, deadline: Deadline) throws -> String {
        if let existing = Self.devices(backedBy: file).first { return existing }
        // The caller holds the volume's lock, so nobody else binds `file` now.
        for _ in 0..<16 {
            _ = try deadline.remaining(for: "loop device")
            let device: String
            do {
                device = "/dev/loop\(try Sys.freeLoopDevice())"
                try Sys.bindLoop(device, to: file)
                return device
            } catch where error.errno == .resourceBusy {
                continue
            } catch where error.errno == .noSuchFileOrDirectory && error.path != file {
                return try attachWithLosetup(file, deadline: deadline)
            } catch {
                throw MoorError(.system, "could not bind \(file) to a loop device: \(error)")
            }
        }
        throw MoorError(.busy, "could not bind \(file) to a loop device: every free one was taken by another process first; try again")
    }

    func attachWithLosetup(_ file: String, deadline: Deadline) throws -> String {
        // No --nooverlap: it opens every loop device on the node to compare,
        // which turns other volumes' concurrent detaches into deferred ones.
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
        var failure: SystemCallError?
        do { try Sys.clearLoop(device) } catch { failure = error }
        if let failure, failure.errno == .noSuchFileOrDirectory {
            // No device node to open here; losetup tries its own way.
            let result = try runner.run(Command("losetup", ["--detach", device], timeout: deadline.remaining(for: "losetup")))
            if !result.succeeded && Self.backingFile(of: device) != nil { try result.check("losetup --detach") }
        } else if let failure, failure.errno != .noSuchAddressOrDevice, Self.backingFile(of: device) != nil {
            // ENXIO means it is not bound any more.
            throw failure
        }
        let clock = ContinuousClock()
        let end = clock.now + .seconds(2)
        while Self.backingFile(of: device) == backing, clock.now < end {
            usleep(1_000)
        }
    }
}
