import Foundation
import Testing
@testable import MoorFlexVolume

@Suite struct FlexVolumeWireTests {
    static func object(_ json: String) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(parsed as? [String: Any])
    }

    @Test func successIsExact() {
        #expect(FlexVolumeReply.success.json == #"{"status":"Success"}"#)
    }

    @Test func notSupportedIsExact() {
        #expect(FlexVolumeReply.notSupported(nil).json == #"{"status":"Not supported"}"#)
        #expect(FlexVolumeReply.notSupported("no attach").json == #"{"status":"Not supported","message":"no attach"}"#)
    }

    @Test func capabilitiesSendAllFiveKeysWithAttachFalse() throws {
        let json = FlexVolumeReply.capabilities(.moor).json
        #expect(json == #"{"status":"Success","capabilities":{"attach":false,"selinuxRelabel":false,"fsGroup":false,"supportsMetrics":false,"requiresFSResize":false}}"#)
        let capabilities = try #require(try Self.object(json)["capabilities"] as? [String: Bool])
        #expect(Set(capabilities.keys) == ["attach", "selinuxRelabel", "fsGroup", "supportsMetrics", "requiresFSResize"])
        #expect(capabilities["attach"] == false)
    }

    @Test func capabilitiesReflectTheirValues() throws {
        var capabilities = FlexVolumeCapabilities()
        capabilities.attach = true
        capabilities.requiresFSResize = true
        let parsed = try #require(try Self.object(FlexVolumeReply.capabilities(capabilities).json)["capabilities"] as? [String: Bool])
        #expect(parsed == ["attach": true, "selinuxRelabel": false, "fsGroup": false, "supportsMetrics": false, "requiresFSResize": true])
    }

    @Test(arguments: [
        ("plain", #"{"status":"Failure","message":"plain"}"#),
        (#"say "hi""#, #"{"status":"Failure","message":"say \"hi\""}"#),
        (#"C:\dir"#, #"{"status":"Failure","message":"C:\\dir"}"#),
        ("two\nlines", #"{"status":"Failure","message":"two\nlines"}"#),
        ("cr\rtab\t", #"{"status":"Failure","message":"cr\rtab\t"}"#),
        ("bell\u{7}nul\u{0}esc\u{1b}del\u{7f}", #"{"status":"Failure","message":"bell\u0007nul\u0000esc\u001bdel\u007f"}"#),
        ("unit \u{1f}", #"{"status":"Failure","message":"unit \u001f"}"#),
        ("ünïcødé ✓ 😀", #"{"status":"Failure","message":"ünïcødé ✓ 😀"}"#),
        ("", #"{"status":"Failure","message":""}"#),
    ])
    func failureMessagesAreEscaped(message: String, json: String) throws {
        let reply = FlexVolumeReply.failure(message)
        #expect(reply.json == json)
        let parsed = try Self.object(reply.json)
        #expect(parsed["status"] as? String == "Failure")
        #expect(parsed["message"] as? String == message)
    }

    @Test(arguments: [
        FlexVolumeReply.success, .notSupported(nil), .notSupported("x\"y\n"), .capabilities(.moor),
        .failure("a \"quoted\" \\ path\n\u{0}\u{1}\u{1f}\u{7f} end"),
        .failure(String((0..<0x80).map { Character(Unicode.Scalar($0)!) })),
    ])
    func everyReplyIsExactlyOneJSONObject(reply: FlexVolumeReply) throws {
        let object = try Self.object(reply.json)
        #expect(object["status"] is String)
        #expect(!reply.json.contains("\n"))
        if case .failure(let message) = reply { #expect(object["message"] as? String == message) }
        if case .notSupported(let message?) = reply { #expect(object["message"] as? String == message) }
    }

    @Test func kubeletKeysAreTheDriverCallNames() {
        #expect(KubeletKey.fsType == "kubernetes.io/fsType")
        #expect(KubeletKey.readWrite == "kubernetes.io/readwrite")
        #expect(KubeletKey.volumeName == "kubernetes.io/pvOrVolumeName")
        #expect(KubeletKey.fsGroup == "kubernetes.io/mounterArgs.FsGroup")
        #expect(KubeletKey.fsGroupLegacy == "kubernetes.io/fsGroup")
        #expect(KubeletKey.secretPrefix == "kubernetes.io/secret/")
    }
}
