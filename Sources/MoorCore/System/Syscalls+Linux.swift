#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMoorSystem
import SystemPackage

/// Every raw libc call the core makes goes through this file, so the list
/// of what Moor asks of the kernel is in one place.
public enum Sys {
    /// Retries on EINTR; throws `SystemCallError` for any other failure.
    @discardableResult
    static func check<T: BinaryInteger>(_ call: String, _ path: String, _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let err = Errno(rawValue: Glibc.errno)
            if err == .interrupted { continue }
            throw SystemCallError(call, path, err)
        }
    }

    /// mount(2).
    public static func mount(source: String?, target: String, fsType: String?, flags: UInt, data: String?) throws(SystemCallError) {
        try check("mount", target) {
            Glibc.mount(source, target, fsType, flags, data)
        }
    }

    /// umount2(2) with `MNT_*` flags.
    public static func unmount(_ target: String, flags: Int32) throws(SystemCallError) {
        try check("umount2", target) { Glibc.umount2(target, flags) }
    }

    public static func statvfs(_ path: String) throws(SystemCallError) -> Glibc.statvfs {
        var result = Glibc.statvfs()
        try check("statvfs", path) { moor_statvfs(path, &result) }
        return result
    }

    /// lstat(2): does not follow a final symlink.
    public static func lstat(_ path: String) throws(SystemCallError) -> Glibc.stat {
        var result = Glibc.stat()
        try check("lstat", path) { moor_lstat(path, &result) }
        return result
    }

    public static func stat(_ path: String) throws(SystemCallError) -> Glibc.stat {
        var result = Glibc.stat()
        try check("stat", path) { moor_stat(path, &result) }
        return result
    }

    /// Like `check`, but `allowed` (an errno that means "already done") is
    /// no failure. Not thrown and caught: a throw costs far more than the
    /// call, and mkdirs meets EEXIST on every call.
    static func check(_ call: String, _ path: String, allowing allowed: Errno, _ body: () -> Int32) throws(SystemCallError) {
        while body() == -1 {
            let err = Errno(rawValue: Glibc.errno)
            if err == .interrupted { continue }
            if err == allowed { return }
            throw SystemCallError(call, path, err)
        }
    }

    public static func mkdir(_ path: String, mode: mode_t) throws(SystemCallError) {
        try check("mkdir", path, allowing: .fileExists) { Glibc.mkdir(path, mode) }
    }

    /// Creates every missing directory of an absolute path.
    public static func mkdirs(_ path: String, mode: mode_t = 0o700) throws(SystemCallError) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            try mkdir(current, mode: mode)
        }
    }

    /// rmdir(2); a missing directory counts as removed. Never recursive.
    public static func rmdir(_ path: String) throws(SystemCallError) {
        try check("rmdir", path, allowing: .noSuchFileOrDirectory) { Glibc.rmdir(path) }
    }

    public static func unlink(_ path: String) throws(SystemCallError) {
        try check("unlink", path, allowing: .noSuchFileOrDirectory) { Glibc.unlink(path) }
    }

    /// link(2): fails with EEXIST when `to` exists, which makes it a
    /// create-once primitive (rename(2) would replace).
    public static func link(_ from: String, _ to: String) throws(SystemCallError) {
        try check("link", to) { Glibc.link(from, to) }
    }

    public static func rename(_ from: String, _ to: String) throws(SystemCallError) {
        try check("rename", to) { Glibc.rename(from, to) }
    }

    public static func chown(_ path: String, uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        try check("chown", path) { Glibc.lchown(path, uid ?? UInt32.max, gid ?? UInt32.max) }
    }

    public static func chmod(_ path: String, mode: UInt32) throws(SystemCallError) {
        try check("chmod", path) { Glibc.chmod(path, mode_t(mode)) }
    }

    /// open(2), always with O_CLOEXEC so no helper inherits the descriptor.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(SystemCallError) -> Int32 {
        try check("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    public static func fsync(_ fd: Int32, _ path: String) throws(SystemCallError) {
        try check("fsync", path) { Glibc.fsync(fd) }
    }

    public static func ftruncate(_ fd: Int32, _ size: UInt64, _ path: String) throws(SystemCallError) {
        try check("ftruncate", path) { Glibc.ftruncate(fd, off_t(size)) }
    }

    /// flock(2) LOCK_EX, waiting.
    public static func lockExclusive(_ fd: Int32, _ path: String) throws(SystemCallError) {
        try check("flock", path) { moor_flock_exclusive(fd) }
    }

    /// flock(2) LOCK_EX|LOCK_NB: false if another holder has it.
    public static func lockExclusiveIfFree(_ fd: Int32, _ path: String) throws(SystemCallError) -> Bool {
        do {
            try check("flock", path) { moor_flock_exclusive_nonblocking(fd) }
            return true
        } catch where error.errno == .wouldBlock {
            return false
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw SystemCallError("write", path, Errno(rawValue: Glibc.errno))
            }
            offset += written
        }
    }

    /// Writes `text` to an existing file such as a sysfs attribute.
    public static func writeText(_ path: String, _ text: String) throws(SystemCallError) {
        let fd = try open(path, O_WRONLY)
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path)
    }

    /// `readFile`, or nil when the file does not exist (a policy, a record,
    /// a key that was never written).
    public static func readFileIfPresent(_ path: String, limit: Int) throws(SystemCallError) -> [UInt8]? {
        do {
            return try readFile(path, limit: limit)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// Reads a whole file (mountinfo, sysfs attributes, state records).
    public static func readFile(_ path: String, limit: Int = 16 << 20) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw SystemCallError("read", path, Errno(rawValue: Glibc.errno))
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    public static func readText(_ path: String) throws(SystemCallError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// pread(2) of up to `count` bytes at `offset`; fewer at the end of the file.
    public static func read(_ path: String, offset: UInt64, count: Int) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = result.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled)) }
            if got < 0 {
                if Glibc.errno == EINTR { continue }
                throw SystemCallError("pread", path, Errno(rawValue: Glibc.errno))
            }
            if got == 0 { break }
            filled += got
        }
        result.removeLast(count - filled)
        return result
    }

    /// realpath(3): resolves symlinks.
    public static func realpath(_ path: String) throws(SystemCallError) -> String {
        guard let resolved = Glibc.realpath(path, nil) else {
            throw SystemCallError("realpath", path, Errno(rawValue: Glibc.errno))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public static func isBlockDevice(_ st: Glibc.stat) -> Bool { (st.st_mode & S_IFMT) == S_IFBLK }
    public static func isDirectory(_ st: Glibc.stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }

    public static func deviceNumber(_ st: Glibc.stat) -> DeviceNumber {
        DeviceNumber(major: moor_major(UInt64(st.st_rdev)), minor: moor_minor(UInt64(st.st_rdev)))
    }

    /// fnmatch(3) with FNM_PATHNAME: `*` does not cross `/`.
    public static func globMatches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, FNM_PATHNAME) == 0
    }

    public static var processID: Int32 { getpid() }
}

/// Directory descriptors, for walking a host path one component at a time
/// (`HostDirectory`): `path` in each error is the one the caller names.
extension Sys {
    /// openat(2) with `O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC`: a
    /// descriptor for the directory `name` in `directory`, never through a
    /// symlink (a symlink fails with ENOTDIR or ELOOP).
    public static func openDirectoryNoFollow(_ directory: Int32, _ name: String, path: String) throws(SystemCallError) -> Int32 {
        try check("openat", path) { moor_openat_directory_nofollow(directory, name) }
    }

    /// fstatat(2) with `AT_SYMLINK_NOFOLLOW`.
    public static func lstat(_ directory: Int32, _ name: String, path: String) throws(SystemCallError) -> Glibc.stat {
        var result = Glibc.stat()
        try check("fstatat", path) { moor_fstatat_nofollow(directory, name, &result) }
        return result
    }

    /// mkdirat(2); false if `name` already exists.
    public static func mkdir(_ directory: Int32, _ name: String, mode: mode_t, path: String) throws(SystemCallError) -> Bool {
        do {
            try check("mkdirat", path) { Glibc.mkdirat(directory, name, mode) }
            return true
        } catch where error.errno == .fileExists {
            return false
        }
    }

    /// readlinkat(2): a symlink's target, for messages.
    public static func readlink(_ directory: Int32, _ name: String, path: String) throws(SystemCallError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = try check("readlinkat", path) { Glibc.readlinkat(directory, name, &buffer, buffer.count - 1) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// fchownat(2) with `AT_EMPTY_PATH`: works on an `O_PATH` descriptor.
    /// A nil id is left as it is.
    public static func chown(_ fd: Int32, uid: UInt32?, gid: UInt32?, path: String) throws(SystemCallError) {
        try check("fchownat", path) { moor_fchownat_empty_path(fd, uid ?? UInt32.max, gid ?? UInt32.max) }
    }
}

extension Sys {
    /// Whether something accepts connections on the abstract unix socket
    /// `name` (without the leading NUL). A connect and a close, nothing sent.
    /// Non-blocking: a wedged daemon whose backlog is full makes connect
    /// fail with EAGAIN (it is there) instead of blocking a kubelet call.
    public static func abstractSocketAccepts(_ name: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { _ = Glibc.close(fd) }
        return connectUnix(fd, [0] + Array(name.utf8)) == true || Glibc.errno == EAGAIN
    }

    /// connect(2) of `fd` to the unix socket `path` (a file system path, or
    /// an abstract name given with its leading NUL). Nil when the name does
    /// not fit `sun_path`; otherwise whether it connected (errno says why not).
    public static func connectUnix(_ fd: Int32, _ path: [UInt8]) -> Bool? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // A file path needs its terminating NUL inside sun_path; an abstract name does not.
        let abstract = path.first == 0
        guard path.count + (abstract ? 0 : 1) <= MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let length = abstract ? socklen_t(MemoryLayout<sa_family_t>.size + path.count) : socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        return result == 0
    }
}

extension Sys {
    /// Names in a directory, without `.` and `..`; none for a directory
    /// that does not exist (not thrown: most callers look at /sys and
    /// /proc directories that come and go).
    public static func listDirectory(_ path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else {
            let err = Errno(rawValue: Glibc.errno)
            if err == .noSuchFileOrDirectory { return [] }
            throw SystemCallError("opendir", path, err)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension Sys {
    /// LOOP_CTL_GET_FREE: the number of a free loop device, which the kernel
    /// creates if none is free. Another process may take it first.
    public static func freeLoopDevice() throws(SystemCallError) -> Int32 {
        let control = try open("/dev/loop-control", O_RDWR)
        defer { close(control) }
        return try check("ioctl LOOP_CTL_GET_FREE", "/dev/loop-control") { moor_loop_get_free(control) }
    }

    /// Binds `file` (read-write) to the free loop device `device`, without
    /// autoclear: LOOP_CONFIGURE, or on kernels before 5.8 (EINVAL, ENOTTY)
    /// LOOP_SET_FD and LOOP_SET_STATUS64. EBUSY: someone else bound it first.
    public static func bindLoop(_ device: String, to file: String) throws(SystemCallError) {
        let backing = try open(file, O_RDWR)
        defer { close(backing) }
        let loop = try open(device, O_RDWR)
        defer { close(loop) }
        do {
            try check("ioctl LOOP_CONFIGURE", device) { moor_loop_configure(loop, backing, file) }
        } catch where error.errno == .invalidArgument || error.errno == .inappropriateIOCTLForDevice {
            try check("ioctl LOOP_SET_FD", device) { moor_loop_set_fd(loop, backing, file) }
        }
    }

    /// LOOP_CLR_FD. While another process has the device open the kernel
    /// only marks it for autoclear, and it goes with that last close.
    public static func clearLoop(_ device: String) throws(SystemCallError) {
        let loop = try open(device, O_RDONLY)
        defer { close(loop) }
        try check("ioctl LOOP_CLR_FD", device) { moor_loop_clear(loop) }
    }
}

extension Sys {
    /// LOOP_GET_STATUS64: which file `device` is bound to, by device and
    /// inode, which stay right after the file is unlinked or replaced (its
    /// sysfs path does not). ENXIO: the device is not bound.
    public static func loopBacking(_ device: String) throws(SystemCallError) -> FileID {
        let loop = try open(device, O_RDONLY)
        defer { close(loop) }
        var number: UInt64 = 0, inode: UInt64 = 0
        try check("ioctl LOOP_GET_STATUS64", device) { moor_loop_backing(loop, &number, &inode) }
        return FileID(device: DeviceNumber(major: moor_major(number), minor: moor_minor(number)), inode: inode)
    }

    /// The identity of the file `st` describes (st_dev, st_ino).
    public static func fileID(_ st: Glibc.stat) -> FileID {
        FileID(device: DeviceNumber(major: moor_major(UInt64(st.st_dev)), minor: moor_minor(UInt64(st.st_dev))),
               inode: UInt64(st.st_ino))
    }

    /// SIGKILL to this process: a crash, for fail points. Never returns.
    public static func killSelf() -> Never {
        _ = Glibc.kill(getpid(), SIGKILL)
        // SIGKILL cannot be caught; this only satisfies the type checker.
        Glibc.abort()
    }

    /// Sleeps `milliseconds` (nanosleep(2), resumed after a signal).
    public static func sleep(milliseconds: UInt32) {
        var remaining = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var left = timespec()
        while nanosleep(&remaining, &left) == -1 && Glibc.errno == EINTR { remaining = left }
    }
}
