import MoorCore

/// What the running kernel offers, read without changing anything (no
/// modprobe): `/proc/filesystems`, `/sys/module`, and the running kernel's
/// `modules.builtin` and `modules.dep` under `/lib/modules/<release>`.
public struct KernelSupport: Sendable {
    /// `uname -r` of the running kernel.
    public let release: String
    let modulesRoot: String
    let sysModuleRoot: String
    /// File system types the kernel has registered now.
    let registered: Set<String>
    /// Module names (`-` read as `_`) built into the running kernel.
    let builtin: [String: String]
    /// Module names the running kernel can load, with their file.
    let loadable: [String: String]
    /// Whether `<modulesRoot>/<release>` exists at all.
    let hasModulesDirectory: Bool
    /// The kernels `<modulesRoot>` does have modules for.
    let otherReleases: [String]

    /// How the kernel offers a file system or driver.
    public enum Availability: Equatable, Sendable {
        case registered
        case loaded
        case builtin(String)
        case loadable(String)
        case missing(String)

        public var isAvailable: Bool {
            if case .missing = self { return false }
            return true
        }
    }

    /// Reads the files for the running kernel (or the given roots, for tests).
    public init(release: String, filesystemsText: String, modulesRoot: String = "/lib/modules", sysModuleRoot: String = "/sys/module") {
        self.release = release
        self.modulesRoot = modulesRoot
        self.sysModuleRoot = sysModuleRoot
        registered = Self.parseFilesystems(filesystemsText)
        let directory = modulesRoot + "/" + release
        hasModulesDirectory = (try? Sys.stat(directory)).map(Sys.isDirectory) ?? false
        builtin = Self.parseModuleList((try? Sys.readText(directory + "/modules.builtin")) ?? "")
        loadable = Self.parseModuleList((try? Sys.readText(directory + "/modules.dep")) ?? "")
        otherReleases = ((try? Sys.listDirectory(modulesRoot)) ?? []).filter { $0 != release }.sorted()
    }

    /// The running kernel as this process sees it.
    public static func current() -> KernelSupport {
        KernelSupport(release: NodeFacts.kernelRelease(), filesystemsText: (try? Sys.readText("/proc/filesystems")) ?? "")
    }

    /// The second column of `/proc/filesystems` (`nodev\tsysfs`, `\text4`).
    static func parseFilesystems(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last.map(String.init)
        })
    }

    /// Module names from `modules.builtin` (`kernel/fs/ext4/ext4.ko`) or
    /// `modules.dep` (`kernel/fs/nfs/nfs.ko.xz: deps...`), mapped to the path.
    static func parseModuleList(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let path = line.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            guard let file = path.split(separator: "/").last, let dot = file.firstIndex(of: "."),
                  file[dot...].hasPrefix(".ko") else { continue }
            result[Self.moduleName(String(file[..<dot]))] = path
        }
        return result
    }

    /// Module names use `-` and `_` interchangeably; the kernel shows `_`.
    static func moduleName(_ name: String) -> String { String(name.map { $0 == "-" ? "_" : $0 }) }

    /// Whether a file system type can be mounted: registered now, or its
    /// module is loaded, built in, or loadable for this kernel (the kernel
    /// loads a file system's module on its first mount).
    public func fileSystem(_ type: String, module: String? = nil) -> Availability {
        if registered.contains(type) { return .registered }
        return self.module(module ?? type, what: "not in /proc/filesystems")
    }

    /// Whether a module is loaded, built in, or loadable for this kernel.
    public func module(_ name: String) -> Availability { module(name, what: "not loaded") }

    func module(_ name: String, what: String) -> Availability {
        let name = Self.moduleName(name)
        if (try? Sys.stat(sysModuleRoot + "/" + name)) != nil { return .loaded }
        if let path = builtin[name] { return .builtin(path) }
        if let path = loadable[name] { return .loadable(modulesRoot + "/" + release + "/" + path) }
        return .missing("\(what) and no module for the running kernel \(release) (\(modulesNote(name)))")
    }

    /// Why no module was found, for the report.
    func modulesNote(_ name: String) -> String {
        if hasModulesDirectory {
            return "\(modulesRoot)/\(release) has no \(name) in modules.dep or modules.builtin"
        }
        if otherReleases.isEmpty { return "\(modulesRoot) has no modules at all" }
        return "\(modulesRoot) has modules only for \(otherReleases.joined(separator: ", "))"
    }

    /// The fix for a missing module, naming the kernel option that provides it.
    func fixForMissing(_ module: String, config: String) -> String {
        if hasModulesDirectory {
            return "use a kernel built with \(config) (=m or =y); this one has no \(module)"
        }
        return "boot a kernel built with \(config) (Debian's linux-image-amd64 has it as module \(module)), or install the modules of \(release) under \(modulesRoot)/\(release)"
    }
}
