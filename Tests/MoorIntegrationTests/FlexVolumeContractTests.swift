import Foundation
import MoorTestSupport
import Testing

/// Every call kubelet can make prints exactly one JSON object and exits 0.
@Suite(.timeLimit(.minutes(2)))
struct FlexVolumeContractTests {
    @Test func initDeclaresAllFiveCapabilitiesAndNoAttach() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let reply = try Kubelet(environment: root.environment).initialize()
        #expect(reply.status == "Success")
        #expect(reply.exitStatus == 0)
        let capabilities = try #require(reply.object["capabilities"]?.object)
        #expect(capabilities == ["attach": .bool(false), "selinuxRelabel": .bool(false), "fsGroup": .bool(false),
                                 "supportsMetrics": .bool(false), "requiresFSResize": .bool(false)])
        #expect(!FileManager.default.fileExists(atPath: root.logFile), "init touches no file")
        #expect(!FileManager.default.fileExists(atPath: root.stateDir), "init touches no state")
    }

    static let unsupported: [[String]] = [
        ["attach", #"{"kubernetes.io/fsType":""}"#, "node-1"],
        ["detach", "pv-1", "node-1"],
        ["waitforattach", "", #"{"kubernetes.io/fsType":""}"#],
        ["isattached", #"{"kubernetes.io/fsType":""}"#, "node-1"],
        ["mountdevice", "/var/lib/kubelet/plugins/x", "", #"{}"#],
        ["unmountdevice", "/var/lib/kubelet/plugins/x"],
        ["getvolumename", #"{"kubernetes.io/fsType":""}"#],
        ["expandvolume", "{}", "/x", "2000", "1000"],
        ["expandfs", "{}", "", "/x", "2000", "1000"],
        ["waitfordetach", "/dev/sdx"],
        ["provision", "{}"],
        ["no-such-call"],
    ]

    @Test(arguments: unsupported)
    func callsMoorDoesNotImplementAnswerNotSupported(_ arguments: [String]) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let reply = try Kubelet(environment: root.environment).call(arguments)
        #expect(reply.status == "Not supported")
        #expect(reply.exitStatus == 0)
    }

    @Test(arguments: [["mount"], ["mount", "/tmp"], ["unmount"]])
    func missingArgumentsAreAFailureNotAUsageText(_ arguments: [String]) throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let reply = try Kubelet(environment: root.environment).call(arguments)
        #expect(reply.status == "Failure")
        #expect(reply.exitStatus == 0)
    }

    @Test func goJSONEscapingIsDecoded() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        // `<`, `>` and `&` arrive as \u003c, \u003e, \u0026; the key is named in the message as decoded.
        var options = Kubelet.podOptions(pv: "pv-esc")
        options["a<b>&c"] = "1"
        let json = Kubelet.goJSON(options)
        #expect(json.contains(#"a\u003cb\u003e\u0026c"#))
        let reply = try Kubelet(environment: root.environment).call(["mount", try root.podDir("a"), json])
        #expect(reply.status == "Failure")
        #expect(reply.message.contains("unknown option 'a<b>&c'"))
    }
}
