#if canImport(Glibc)
import Glibc
#endif

/// A file's identity: the file system it lives on and its inode number.
public struct FileID: Hashable, Sendable, CustomStringConvertible {
    public var device: DeviceNumber
    public var inode: UInt64
    public init(device: DeviceNumber, inode: UInt64) { self.device = device; self.inode = inode }
    public var description: String { "\(device) inode \(inode)" }
}

/// A bound loop device, as the kernel shows it.
public struct LoopBinding: Sendable, Equatable {
    /// `/dev/loopN`.
    public var device: String
    /// The backing file's path as the kernel last knew it, without " (deleted)".
    public var path: String
    /// The kernel says the backing file was unlinked (sysfs appends " (deleted)").
    public var isDeleted: Bool
    /// The backing file's device and inode (LOOP_GET_STATUS64); nil where
    /// the device node could not be opened (some containers).
    public var file: FileID?
    /// The loop device's own number (`/sys/block/loopN/dev`), for the mount table.
    public var number: DeviceNumber?

    public init(device: String, path: String, isDeleted: Bool, file: FileID? = nil, number: DeviceNumber? = nil) {
        self.device = device
        self.path = path
        self.isDeleted = isDeleted
        self.file = file
        self.number = number
    }

    /// Splits sysfs `backing_file` text into the path and whether the file was deleted.
    public static func parseBackingFile(_ text: String) -> (path: String, deleted: Bool) {
        var path = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard path.hasSuffix(" (deleted)") else { return (path, false) }
        path.removeLast(" (deleted)".count)
        return (path, true)
    }

    /// What this binding is to the image at `image`, whose identity is now
    /// `current` (nil: there is no image).
    public enum Match: Sendable, Equatable {
        /// Bound to that very file: safe to reuse.
        case current
        /// Bound to an earlier file of that path, deleted or replaced since:
        /// writes through it reach nothing the path will ever show again.
        case stale
        /// Bound to another path.
        case unrelated
    }

    public func match(image: String, current: FileID?) -> Match {
        guard path == image else { return .unrelated }
        guard !isDeleted, let current else { return .stale }
        // Without an inode (no device node), a live path is the same dentry.
        if let file, file != current { return .stale }
        return .current
    }
}

/// Loop devices for sparse-file disks. Which file backs which device is read
/// from sysfs (`/sys/block/loopN/loop/backing_file`), not from losetup's
/// text, and checked by device and inode (LOOP_GET_STATUS64): a loop still
/// bound to a deleted image must never be taken for the image of the same
/// name created since (issue 11, item 4: the writes went to the deleted inode).
public struct LoopDevices: Sendable {
    let runner: any CommandRunning

    public init(runner: any CommandRunning) { self.runner = runner }

    /// The backing file of `/dev/loopN` without any " (deleted)", or nil if
    /// it is not a bound loop device. Says which files a device belongs to
    /// (moor's disks dir), never whether it is the current image: `bindings(of:)` does.
    public static func backingFile(of device: String) -> String? {
        guard device.hasPrefix("/dev/loop"), let name = device.split(separator: "/").last,
              let text = try? Sys.readText("/sys/block/\(name)/loop/backing_file") else { return nil }
        return LoopBinding.parseBackingFile(text).path
    }

    /// Every bound loop device whose backing path passes `filter`, deleted
    /// or not. Only those devices are opened (to read their inode): opening
    /// every loop device on the node would turn others' detaches into deferred ones.
    public static func bindings(where filter: (String) -> Bool) -> [LoopBinding] {
        let names = (try? Sys.listDirectory("/sys/block")) ?? []
        return names.filter { $0.hasPrefix("loop") }.sorted().compactMap { name -> LoopBinding? in
            guard let text = try? Sys.readText("/sys/block/\(name)/loop/backing_file") else { return nil }
            let (path, deleted) = LoopBinding.parseBackingFile(text)
            guard filter(path) else { return nil }
            let device = "/dev/" + name
            var file: FileID?
            do {
                file = try Sys.loopBacking(device)
            } catch let error as SystemCallError where error.errno == .noSuchAddressOrDevice {
                return nil  // detached since sysfs was read
            } catch {
                file = nil
            }
            return LoopBinding(device: device, path: path, isDeleted: deleted, file: file, number: number(of: name))
        }
    }

    /// Every loop device bound to a file that is or was at `image`.
    public static func bindings(of image: String) -> [LoopBinding] { bindings { $0 == image } }

    /// Every loop device bound to `file` as it is now (not to a deleted or replaced earlier one).
    public static func devices(backedBy file: String) -> [String] {
        let current = (try? Sys.stat(file)).map(Sys.fileID)
        return bindings(of: file).filter { $0.match(image: file, current: current) == .current }.map(\.device)
    }

    /// What uses `binding`'s device: its mount points, and block devices
    /// stacked on it (`holders`, e.g. device-mapper). Empty: it holds nothing reachable.
    public static func users(of binding: LoopBinding, in table: MountTable) -> [String] {
        let name = binding.device.split(separator: "/").last.map(String.init) ?? ""
        let mounts = binding.number.map { table.mounts(of: $0).map(\.mountPoint) } ?? []
        let holders = ((try? Sys.listDirectory("/sys/block/\(name)/holders")) ?? []).map { "/dev/" + $0 }
        return mounts + holders.sorted()
    }

    static func number(of name: String) -> DeviceNumber? {
        guard let text = try? Sys.readText("/sys/block/\(name)/dev") else { return nil }
        let parts = text.split(separator: "\n").first?.split(separator: ":") ?? []
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        return DeviceNumber(major: major, minor: minor)
    }

    /// Binds `file` to a loop device, reusing one already bound to it as it
    /// is now. A device bound to a deleted or replaced earlier file of that
    /// path is never reused: it is detached if nothing uses it, and
    /// otherwise this throws `.busy` naming it. By ioctl (no helper
    /// process): ask /dev/loop-control for a free device and bind it; if
    /// another process binds that device first (EBUSY), ask again. Where the
    /// ioctls cannot be used (no /dev/loop-control or device node, as in
    /// some containers), `losetup` does it. The caller holds the volume's
    /// lock. `mountTable` is read only if there is a stale device to judge.
    public func attach(_ file: String, mountTable: () throws -> MountTable, deadline: Deadline) throws -> String {
        let current = (try? Sys.stat(file)).map(Sys.fileID)
        var reusable: String?
        for binding in Self.bindings(of: file) {
            switch binding.match(image: file, current: current) {
            case .current:
                reusable = reusable ?? binding.device
            case .stale:
                let users = Self.users(of: binding, in: try mountTable())
                guard users.isEmpty else {
                    throw MoorError(.busy, "\(binding.device) is still bound to an earlier, deleted copy of \(file) and is in use "
                                    + "(\(users.joined(separator: ", "))); moor will not use it for the new disk: unmount it first")
                }
                try detach(binding.device, deadline: deadline)
            case .unrelated:
                break
            }
        }
        if let reusable { return reusable }
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
