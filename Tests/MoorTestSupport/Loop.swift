import Foundation
import MoorCore

/// Loop-device fixtures made with the real losetup and mkfs, for tests that
/// need a "device the user already has".
public enum Loop {
    /// Creates a file of `bytes`, binds it to a loop device and returns the device.
    public static func attach(file: String, bytes: Int) throws -> String {
        FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: UInt64(bytes))
        try handle.close()
        let out = try Shell.run("/sbin/losetup", ["--find", "--show", file])
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static func detach(_ device: String) {
        _ = try? Shell.run("/sbin/losetup", ["--detach", device])
    }

    /// Loop devices whose backing file is under `directory`.
    public static func devices(under directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        return names.filter { $0.hasPrefix("loop") }.compactMap { name in
            guard let backing = try? String(contentsOfFile: "/sys/block/\(name)/loop/backing_file", encoding: .utf8),
                  backing.hasPrefix(directory + "/") else { return nil }
            return "/dev/" + name
        }
    }
}

extension Loop {
    /// Loop devices bound to a file under `directory` that was deleted
    /// since: what issue 11's data loss went through. Never expected.
    public static func boundToDeletedFiles(under directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        return names.filter { $0.hasPrefix("loop") }.sorted().compactMap { name in
            guard let backing = try? String(contentsOfFile: "/sys/block/\(name)/loop/backing_file", encoding: .utf8),
                  backing.hasPrefix(directory + "/"), backing.hasSuffix(" (deleted)\n") else { return nil }
            return "/dev/" + name
        }
    }
}

/// Runs a helper for test set-up and fails loudly if it fails.
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    @discardableResult
    public static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}
