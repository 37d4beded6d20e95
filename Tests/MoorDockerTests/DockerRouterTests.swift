import Foundation
import Logging
@testable import MoorCore
@testable import MoorDocker
import MoorTestSupport
import Testing

/// The router in-process: wire shapes and error forms, with a real core on
/// a private state dir (nothing here mounts: Create, Get, List and Path
/// only touch state).
@Suite final class DockerRouterTests {
    let root: TempRoot
    let router: DockerRouter

    // Async: a sync throwing suite init crashed glibc's unwinder when Swift
    // Testing captured a backtrace for an error thrown (and caught) inside it.
    init() async throws {
        root = try TempRoot()
        let runner = CommandRunner()
        let core = Core(state: StateDirectory(root: root.stateDir), policy: Policy(), mounter: LinuxMounter(runner: runner),
                        runner: runner, logger: Logger(label: "test"))
        let volumes = VolumeService(core: core, owner: "docker", logger: Logger(label: "test"))
        try volumes.load()
        router = DockerRouter(volumes: volumes)
    }

    deinit { root.tearDown() }

    func call(_ path: String, _ body: String) -> DockerReply {
        switch router.route(path, body: Array(body.utf8)) {
        case .immediate(let reply): return reply
        case .serialised(_, _, let work): return work()
        case .offloaded(let work): return work()
        }
    }

    func json(_ reply: DockerReply) throws -> [String: JSONValue] {
        try #require(try JSONDecoder().decode(JSONValue.self, from: Data(reply.body.utf8)).object)
    }

    @Test func activateAndCapabilitiesAreExact() throws {
        #expect(call("/Plugin.Activate", "").body == #"{"Implements":["VolumeDriver"]}"#)
        #expect(call("/VolumeDriver.Capabilities", "{}").body == #"{"Capabilities":{"Scope":"local"}}"#)
    }

    @Test func unknownEndpointsAndBadBodiesAreErrForm() throws {
        let unknown = call("/VolumeDriver.Snapshot", "{}")
        #expect(unknown.status == 404)
        #expect(try json(unknown)["Err"]?.string?.contains("unknown endpoint") == true)
        let empty = call("/VolumeDriver.Get", "")
        #expect(empty.status == 400)
        #expect(try json(empty)["Err"]?.string?.contains("empty body") == true)
        let malformed = call("/VolumeDriver.Mount", #"{"Name":"x"}"#)
        #expect(malformed.status == 400)
        #expect(try json(malformed)["Err"]?.string?.contains("malformed") == true)
    }

    @Test func createGetListPathFromStateAlone() throws {
        #expect(call("/VolumeDriver.Create", #"{"Name":"a","Opts":{"size":"1G"}}"#) == .empty)
        #expect(call("/VolumeDriver.Create", #"{"Name":"b","Opts":null}"#) == .empty)
        let get = try json(call("/VolumeDriver.Get", #"{"Name":"a"}"#))
        let volume = try #require(get["Volume"]?.object)
        #expect(volume["Name"]?.string == "a")
        #expect(volume["Mountpoint"]?.string == root.stateDir + "/mounts/a")
        #expect(volume["Status"]?.object?["size"]?.string == "1G")
        #expect(volume["Status"]?.object?["mounted"] == .bool(false))
        let list = try json(call("/VolumeDriver.List", "{}"))
        #expect(list["Volumes"]?.array?.compactMap { $0.object?["Name"]?.string } == ["a", "b"])
        #expect(try json(call("/VolumeDriver.Path", #"{"Name":"a"}"#))["Mountpoint"]?.string == "", "not mounted: no path yet")
        #expect(try json(call("/VolumeDriver.Get", #"{"Name":"zzz"}"#))["Err"]?.string == "no such volume: zzz")
    }

    @Test func listIsRebuiltAfterEveryChange() throws {
        #expect(call("/VolumeDriver.Create", #"{"Name":"one"}"#) == .empty)
        #expect(try json(call("/VolumeDriver.List", "{}"))["Volumes"]?.array?.count == 1)
        #expect(call("/VolumeDriver.Create", #"{"Name":"two"}"#) == .empty)
        #expect(try json(call("/VolumeDriver.List", "{}"))["Volumes"]?.array?.count == 2)
        #expect(call("/VolumeDriver.Remove", #"{"Name":"one"}"#) == .empty)
        #expect(try json(call("/VolumeDriver.List", "{}"))["Volumes"]?.array?.compactMap { $0.object?["Name"]?.string } == ["two"])
    }

    func lane(_ path: String, _ body: String) -> DockerRouter.Lane? {
        if case .serialised(_, let lane, _) = router.route(path, body: Array(body.utf8)) { return lane() }
        return nil
    }

    /// Only calls that may wait on a server leave the metadata threads.
    @Test func callsThatMayWaitOnAServerRunInTheBackendLane() throws {
        #expect(lane("/VolumeDriver.Create", #"{"Name":"n","Opts":{"type":"nfs","server":"nas","share":"/s","onRemove":"delete"}}"#) == .metadata)
        #expect(call("/VolumeDriver.Create", #"{"Name":"n","Opts":{"type":"nfs","server":"nas","share":"/s","onRemove":"delete"}}"#) == .empty)
        #expect(call("/VolumeDriver.Create", #"{"Name":"k","Opts":{"type":"nfs","server":"nas","share":"/s"}}"#) == .empty)
        #expect(call("/VolumeDriver.Create", #"{"Name":"d","Opts":{"size":"1G"}}"#) == .empty)
        #expect(lane("/VolumeDriver.Remove", #"{"Name":"n"}"#) == .backend, "deletes its subdir on the server")
        #expect(call("/VolumeDriver.Create", #"{"Name":"h","Opts":{"type":"bind","path":"/srv"}}"#) == .empty)
        #expect(lane("/VolumeDriver.Remove", #"{"Name":"h"}"#) == .metadata)
        #expect(lane("/VolumeDriver.Remove", #"{"Name":"k"}"#) == .backend, "waits for the export's staging lock")
        #expect(lane("/VolumeDriver.Remove", #"{"Name":"d"}"#) == .metadata)
        #expect(lane("/VolumeDriver.Remove", #"{"Name":"unknown"}"#) == .metadata)
        #expect(lane("/VolumeDriver.Mount", #"{"Name":"d","ID":"x"}"#) == .backend)
        #expect(lane("/VolumeDriver.Unmount", #"{"Name":"d","ID":"x"}"#) == .backend)
    }

    @Test(arguments: ["quote\"", "back\\slash", "new\nline", "tab\t", "ctl\u{01}", "ünï"])
    func replyStringsStayValidJSON(_ text: String) throws {
        let reply = DockerReply.error(text)
        #expect(try json(reply)["Err"]?.string == text)
    }
}
