import Dispatch
import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// Issue 11's example 4 as a repeated trial: moord is SIGKILLed at a random
/// moment during a Mount, restarted, and the volume is used again. No data
/// written before a successful Unmount is ever lost, and no loop device is
/// ever left bound to a deleted file. `MOOR_KILL_TRIALS` sets the count.
@Suite(.enabled(if: Node.canMountLoopDevices), .timeLimit(.minutes(10)))
struct CrashKillTrialsTests {
    static var trials: Int {
        ProcessInfo.processInfo.environment["MOOR_KILL_TRIALS"].flatMap { Int($0) } ?? 50
    }

    /// A short stall at every fail point spreads the random kills over each
    /// step of the Mount (attach, stage, record, bind) instead of after it.
    static let stalls = ["MOOR_FAILPOINT": "loop.attached=sleep(3),stage.mounted=sleep(3),stage.recorded=sleep(3),bind.done=sleep(3)"]

    struct Volume {
        let moord: Moord
        let root: TempRoot
        var mountpoint: String { root.stateDir + "/mounts/v" }

        func call(_ endpoint: String, _ body: String) throws -> PluginClient.Reply {
            try moord.client.call("/VolumeDriver." + endpoint, body: body)
        }
        func create() throws -> String? { try call("Create", #"{"Name":"v","Opts":{"size":"16M"}}"#).err }
        func mount(_ id: String) throws -> String? { try call("Mount", #"{"Name":"v","ID":"\#(id)"}"#).err }
        /// Retries "busy": a process spawned by a test running in parallel
        /// holds, between its fork and its exec, a copy of the descriptor
        /// this test had open on the data file at that moment.
        func unmount(_ id: String) throws -> String? {
            for _ in 0..<50 {
                let err = try call("Unmount", #"{"Name":"v","ID":"\#(id)"}"#).err
                guard err?.contains("is busy") == true else { return err }
                usleep(20_000)
            }
            return try call("Unmount", #"{"Name":"v","ID":"\#(id)"}"#).err
        }
        func remove() throws -> String? { try call("Remove", #"{"Name":"v"}"#).err }

        /// Sends Mount and SIGKILLs moord 0–50 ms later, whatever the Mount got to.
        func mountKilledAtRandom(_ id: String) throws {
            let done = DispatchSemaphore(value: 0)
            let client = moord.client
            DispatchQueue.global().async {
                _ = try? client.call("/VolumeDriver.Mount", body: #"{"Name":"v","ID":"\#(id)"}"#)
                done.signal()
            }
            usleep(UInt32.random(in: 0...50_000))
            moord.kill9()
            done.wait()
            try moord.start()
        }

        func write(_ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: mountpoint + "/data"))
        }
        func read() -> [UInt8]? { FileManager.default.contents(atPath: mountpoint + "/data").map { Array($0) } }

        /// Expects an empty Err; otherwise records it with the end of moord's log.
        func ok(_ err: String?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard err != "" else { return }
            let log = (try? String(contentsOfFile: moord.logFile, encoding: .utf8)) ?? ""
            Issue.record("\(what): \(err ?? "no answer")\n\(log.split(separator: "\n").suffix(15).joined(separator: "\n"))",
                         sourceLocation: sourceLocation)
        }
    }

    static func content() -> [UInt8] { (0..<65_536).map { _ in UInt8.random(in: 0...255) } }

    @Test func removeAfterAKillDuringMountNeverReusesADeletedImage() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, environment: Self.stalls); defer { moord.stop() }
        let volume = Volume(moord: moord, root: root)
        let started = ContinuousClock.now
        for trial in 0..<Self.trials {
            volume.ok(try volume.create(), "trial \(trial): create")
            volume.ok(try volume.mount("a"), "trial \(trial): mount")
            try volume.write(Self.content())
            volume.ok(try volume.unmount("a"), "trial \(trial): unmount")

            try volume.mountKilledAtRandom("b")
            var removed = try volume.remove()
            if removed?.contains("in use") == true {
                volume.ok(try volume.unmount("b"), "trial \(trial): unmount")
                removed = try volume.remove()
            }
            try #require(removed == "", "trial \(trial): \(removed ?? "no answer")")
            #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty, "trial \(trial)")
            #expect(Loop.devices(under: root.path).isEmpty, "trial \(trial): Remove leaves no loop bound")

            volume.ok(try volume.create(), "trial \(trial): create")
            volume.ok(try volume.mount("c"), "trial \(trial): mount")
            #expect(volume.read() == nil, "trial \(trial): the re-created volume is fresh")
            let fresh = Self.content()
            try volume.write(fresh)
            volume.ok(try volume.unmount("c"), "trial \(trial): unmount")
            volume.ok(try volume.mount("d"), "trial \(trial): mount")
            #expect(volume.read() == fresh, "trial \(trial): the new data reads back")
            volume.ok(try volume.unmount("d"), "trial \(trial): unmount")
            #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty, "trial \(trial)")
            volume.ok(try volume.remove(), "trial \(trial): remove")
        }
        print("\(Self.trials) kill-and-remove trials took \(ContinuousClock.now - started)")
    }

    @Test func dataWrittenBeforeASuccessfulUnmountSurvivesAKillDuringMount() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root, environment: Self.stalls); defer { moord.stop() }
        let volume = Volume(moord: moord, root: root)
        let started = ContinuousClock.now
        volume.ok(try volume.create(), "create")
        volume.ok(try volume.mount("a"), "mount")
        var written = Self.content()
        try volume.write(written)
        volume.ok(try volume.unmount("a"), "unmount")
        for trial in 0..<Self.trials {
            try volume.mountKilledAtRandom("b")
            // Whatever the kill left: a reference to drop, or nothing.
            volume.ok(try volume.unmount("b"), "trial \(trial): unmount")
            volume.ok(try volume.mount("c"), "trial \(trial): mount")
            #expect(volume.read() == written, "trial \(trial): data from before the last successful Unmount")
            written = Self.content()
            try volume.write(written)
            volume.ok(try volume.unmount("c"), "trial \(trial): unmount")
            #expect(try !root.mountTable().isMountPoint(volume.mountpoint), "trial \(trial)")
            #expect(Loop.boundToDeletedFiles(under: root.path).isEmpty, "trial \(trial)")
        }
        volume.ok(try volume.remove(), "remove")
        #expect(Loop.devices(under: root.path).isEmpty)
        print("\(Self.trials) kill-and-remount trials took \(ContinuousClock.now - started)")
    }
}
