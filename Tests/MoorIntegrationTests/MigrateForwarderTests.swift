import Foundation
import MoorTestSupport
import Testing

/// `moor migrate` hands over to the `moor-migrate` binary beside it, so the
/// FlexVolume driver never links YAML's Foundation.
@Suite struct MigrateForwarderTests {
    @Test func moorMigrateRunsTheBinaryBesideIt() throws {
        let result = try MoorCommand.run(["migrate", "docker", "--output", "commands"],
                                         stdin: #"[{"Name": "v", "Driver": "local", "Options": {"type": "nfs", "o": "addr=127.0.0.1", "device": ":/e"}}]"#)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == "docker volume create -d moor -o type=nfs -o device=:/e -o o=addr=127.0.0.1 v\n")
    }

    @Test func withoutMoorMigrateTheErrorSaysWhatIsMissing() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let lonely = root.path + "/moor"
        try FileManager.default.copyItem(atPath: Kubelet.moorBinary, toPath: lonely)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lonely)
        process.arguments = ["migrate", "docker"]
        process.environment = ["PATH": root.path]
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(text.contains("moor-migrate"))
    }
}
