import Dispatch
import Foundation
import MoorCore
import MoorTestSupport
import Synchronization
import Testing

/// Bulkheads: Mounts stuck on a server that never answers hold only their
/// own threads. Metadata calls and other volumes' Mounts answer at once.
@Suite(.enabled(if: Node.canMountLoopDevices && BlackHole.isAvailable), .timeLimit(.minutes(3)))
struct DockerBulkheadTests {
    static let hanging = 8
    static let timeout = 20.0

    struct Answer: Sendable {
        var seconds: Double
        var err: String?
    }

    /// Times one plugin call.
    static func timed(_ client: PluginClient, _ path: String, _ body: String) throws -> Answer {
        let start = ContinuousClock.now
        let reply = try client.call(path, body: body)
        let elapsed = ContinuousClock.now - start
        return Answer(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                      err: reply.status == 200 ? reply.err : "HTTP \(reply.status): \(reply.body)")
    }

    @Test func mountsHangingOnADeadServerDelayNoOtherCall() throws {
        let hole = try BlackHole(); defer { hole.tearDown() }
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client

        // Formatted before the hang: what is timed below is waiting, not mkfs.
        #expect(try client.call("/VolumeDriver.Create", body: #"{"Name":"disk","Opts":{"size":"16M"}}"#).err == "")
        #expect(try client.call("/VolumeDriver.Mount", body: #"{"Name":"disk","ID":"warm"}"#).err == "")
        #expect(try client.call("/VolumeDriver.Unmount", body: #"{"Name":"disk","ID":"warm"}"#).err == "")
        // Half share one export (a directory each on it, as moor NFS volumes
        // do): one stages, the others wait for its staging lock, but never
        // past their own timeout. The other half stage each on its own.
        for i in 0..<Self.hanging {
            let share = i < Self.hanging / 2 ? "/export" : "/export\(i)"
            let create = #"{"Name":"hang\#(i)","Opts":{"type":"nfs","server":"\#(hole.address)","share":"\#(share)","timeout":"20"}}"#
            #expect(try client.call("/VolumeDriver.Create", body: create).err == "")
        }

        let answers = Mutex<[Int: Answer]>([:])
        let group = DispatchGroup()
        for i in 0..<Self.hanging {
            DispatchQueue.global().async(group: group) {
                let answer = (try? Self.timed(client, "/VolumeDriver.Mount", #"{"Name":"hang\#(i)","ID":"c\#(i)"}"#))
                    ?? Answer(seconds: -1, err: "no answer")
                answers.withLock { $0[i] = answer }
            }
        }
        // Let every Mount reach its server (a connect that gets no answer).
        Thread.sleep(forTimeInterval: 2)
        #expect(answers.withLock { $0.isEmpty }, "the Mounts hang: the black hole works")

        let calls: [(String, String, String)] = [
            ("Create", "/VolumeDriver.Create", #"{"Name":"fresh","Opts":{"size":"16M"}}"#),
            ("Get", "/VolumeDriver.Get", #"{"Name":"fresh"}"#),
            ("Get of a hanging volume", "/VolumeDriver.Get", #"{"Name":"hang0"}"#),
            ("List", "/VolumeDriver.List", "{}"),
            ("Path", "/VolumeDriver.Path", #"{"Name":"disk"}"#),
            ("sparse-disk Mount", "/VolumeDriver.Mount", #"{"Name":"disk","ID":"other"}"#),
            ("Unmount", "/VolumeDriver.Unmount", #"{"Name":"disk","ID":"other"}"#),
            ("Remove", "/VolumeDriver.Remove", #"{"Name":"fresh"}"#),
        ]
        var report: [String] = []
        for (what, path, body) in calls {
            let answer = try Self.timed(client, path, body)
            report.append("\(what) \(Int(answer.seconds * 1000)) ms")
            #expect(answer.err == "", "\(what): \(answer.err ?? "")")
            #expect(answer.seconds < 1, "\(what) took \(answer.seconds) s while \(Self.hanging) Mounts hang")
        }
        #expect(answers.withLock { $0.isEmpty }, "still hanging while the other calls were answered")

        #expect(group.wait(timeout: .now() + Self.timeout + 20) == .success)
        let hung = answers.withLock { $0 }
        for i in 0..<Self.hanging {
            let answer = try #require(hung[i])
            report.append("hang\(i) Mount \(Int(answer.seconds * 1000)) ms")
            #expect(answer.err?.isEmpty == false, "a Mount on a dead server is an error")
            #expect(answer.seconds >= Self.timeout - 5 && answer.seconds < Self.timeout + 10,
                    "hang\(i) answered after \(answer.seconds) s with timeout=20")
        }
        print("bulkhead latencies: " + report.joined(separator: ", "))
        for i in 0..<Self.hanging {
            let refs = try client.call("/VolumeDriver.Get", body: #"{"Name":"hang\#(i)"}"#).json?["Volume"]?.object?["Status"]?.object?["refs"]
            #expect(refs == .number(0), "a failed Mount leaves no reference")
        }
    }
}
