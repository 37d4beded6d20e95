import Foundation
import MoorCore
import Testing
@testable import MoorFlexVolume

@Suite struct FlexVolumeRequestTests {
    /// What kubelet sends for a pod using a PV, as Go's json.Marshal writes it:
    /// keys sorted, `<`, `>` and `&` escaped as \u003c, \u003e, \u0026.
    static let kubeletJSON = #"{"kubernetes.io/fsType":"xfs","kubernetes.io/mounterArgs.FsGroup":"2000","kubernetes.io/pod.name":"web-0","kubernetes.io/pod.namespace":"shop","kubernetes.io/pod.uid":"6a1f0c1e-1111-2222-3333-444455556666","kubernetes.io/pvOrVolumeName":"pv-data","kubernetes.io/readwrite":"rw","kubernetes.io/serviceAccount.name":"default","note":"a\u003cb\u003e \u0026 c","size":"10G"}"#

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func moorError(_ json: String) -> MoorError? {
        do { _ = try FlexVolumeRequest(json: json); return nil } catch { return error as? MoorError }
    }

    @Test func kubeletKeysAreSplitFromTheUserOptions() throws {
        let request = try FlexVolumeRequest(json: Self.kubeletJSON)
        #expect(request.options == ["note": "a<b> & c", "size": "10G"])
        #expect(request.fsType == "xfs")
        #expect(request.volumeName == "pv-data")
        #expect(request.fsGroup == 2000)
        #expect(request.podName == "web-0")
        #expect(request.podNamespace == "shop")
        #expect(request.readOnly == false)
        #expect(request.secrets.isEmpty)
    }

    @Test(arguments: [("ro", true), ("rw", false), ("", false)])
    func readwriteRoMeansReadOnly(value: String, readOnly: Bool) throws {
        #expect(try FlexVolumeRequest(json: #"{"kubernetes.io/readwrite":"\#(value)"}"#).readOnly == readOnly)
    }

    @Test func readwriteOtherValueIsRefused() throws {
        let error = try #require(Self.moorError(#"{"kubernetes.io/readwrite":"rx"}"#))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("kubernetes.io/readwrite"))
    }

    @Test(arguments: ["kubernetes.io/mounterArgs.FsGroup", "kubernetes.io/fsGroup"])
    func fsGroupComesFromEitherKubeletKey(key: String) throws {
        #expect(try FlexVolumeRequest(json: #"{"\#(key)":"1234"}"#).fsGroup == 1234)
    }

    @Test(arguments: ["abc", "-1", "4294967296", ""])
    func fsGroupThatIsNotAGroupIdIsRefused(value: String) throws {
        let error = try #require(Self.moorError(#"{"kubernetes.io/mounterArgs.FsGroup":"\#(value)"}"#))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("group id"))
    }

    @Test func emptyFsTypeAndVolumeNameAreAbsent() throws {
        let request = try FlexVolumeRequest(json: #"{"kubernetes.io/fsType":"","kubernetes.io/pvOrVolumeName":""}"#)
        #expect(request.fsType == nil)
        #expect(request.volumeName == nil)
    }

    @Test func secretsAreBase64DecodedWithTheTrailingNewlineStripped() throws {
        let json = #"{"kubernetes.io/secret/chapSecret":"\#(Self.base64("s3cret\n"))","kubernetes.io/secret/chapUser":"\#(Self.base64("alice"))","kubernetes.io/secret/sshKey":"\#(Self.base64("line1\nline2\n\n"))","kubernetes.io/secret/sshPassword":"\#(Self.base64("pw\r"))"}"#
        let request = try FlexVolumeRequest(json: json)
        #expect(request.secrets["chapSecret"] == Secret("s3cret"))
        #expect(request.secrets["chapUser"] == Secret("alice"))
        #expect(request.secrets["sshKey"] == Secret("line1\nline2"))
        #expect(request.secrets["sshPassword"] == Secret("pw"))
        #expect(request.secrets.count == 4)
        #expect(request.options.isEmpty)
    }

    /// A secret written on Windows (or with `printf 'x\r\n'`) ends in CRLF,
    /// which Swift treats as ONE Character, so `hasSuffix("\n")` and
    /// `hasSuffix("\r")` are both false for it.
    @Test func secretEndingInCRLFIsStripped() throws {
        let request = try FlexVolumeRequest(json: #"{"kubernetes.io/secret/chapSecret":"\#(Self.base64("s3cret\r\n"))"}"#)
        #expect(request.secrets["chapSecret"] == Secret("s3cret"))
    }

    @Test func secretsDoNotAppearWhenTheRequestIsPrinted() throws {
        let request = try FlexVolumeRequest(json: #"{"kubernetes.io/secret/chapSecret":"\#(Self.base64("hunter2"))"}"#)
        var dumped = ""
        dump(request, to: &dumped)
        #expect(!"\(request)".contains("hunter2"))
        #expect(!dumped.contains("hunter2"))
    }

    @Test func badBase64IsRefusedWithoutTheValue() throws {
        let value = "not*base64!hunter2"
        let error = try #require(Self.moorError(#"{"kubernetes.io/secret/chapSecret":"\#(value)"}"#))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("'chapSecret'"))
        #expect(error.message.contains("base64"))
        #expect(!error.message.contains(value))
        #expect(!error.message.contains("hunter2"))
    }

    @Test func otherKubeletKeysAreIgnored() throws {
        let request = try FlexVolumeRequest(json: #"{"kubernetes.io/pod.uid":"u","kubernetes.io/serviceAccount.name":"sa","csi.storage.k8s.io/ephemeral":"false","kubernetes.io/somethingNew":"x"}"#)
        #expect(request.options.isEmpty)
        #expect(request.secrets.isEmpty)
    }

    @Test(arguments: ["{", "", "[]", #"["a"]"#, #"{"size":1}"#, #"{"readOnly":true}"#, #"{"a":null}"#, #"{"a":{"b":"c"}}"#, "null"])
    func anythingButAnObjectOfStringsIsInvalid(json: String) throws {
        let error = try #require(Self.moorError(json))
        #expect(error.kind == .invalidOption)
        #expect(error.message == "the options argument is not a JSON object of strings")
    }

    // MARK: definition()

    @Test func kubeletFsTypeAppliesToDisks() throws {
        let definition = try FlexVolumeRequest(json: #"{"kubernetes.io/fsType":"xfs","kubernetes.io/pvOrVolumeName":"pv1"}"#).definition()
        guard case .disk(let disk) = definition.spec else { Issue.record("not a disk: \(definition.spec)"); return }
        #expect(disk.fsType == "xfs")
    }

    @Test func matchingFsTypeInBothPlacesIsAccepted() throws {
        let definition = try FlexVolumeRequest(json: #"{"fsType":"ext4","kubernetes.io/fsType":"ext4","kubernetes.io/pvOrVolumeName":"pv1"}"#).definition()
        guard case .disk(let disk) = definition.spec else { Issue.record("not a disk"); return }
        #expect(disk.fsType == "ext4")
    }

    @Test func conflictingFsTypeIsReported() throws {
        let request = try FlexVolumeRequest(json: #"{"fsType":"xfs","kubernetes.io/fsType":"ext4","kubernetes.io/pvOrVolumeName":"pv1"}"#)
        let error = #expect(throws: OptionError.self) { try request.definition() }
        #expect(error?.key == "fsType")
        #expect(error?.scope == "disk")
        #expect(error?.problem == .conflict("options say xfs but the volume's fsType is ext4"))
    }

    @Test func kubeletFsTypeIsNotForcedOntoNFS() throws {
        let request = try FlexVolumeRequest(json: #"{"type":"nfs","server":"nas","share":"/export","kubernetes.io/fsType":"ext4"}"#)
        guard case .nfs(let nfs) = try request.definition().spec else { Issue.record("not nfs"); return }
        #expect(nfs.server == "nas")
    }

    @Test func kubeletFsTypeAppliesToIscsi() throws {
        let request = try FlexVolumeRequest(json: #"{"type":"iscsi","portal":"10.0.0.5:3260","iqn":"iqn.2026-11.io.example:x","kubernetes.io/fsType":"xfs"}"#)
        guard case .iscsi(let iscsi) = try request.definition().spec else { Issue.record("not iscsi"); return }
        #expect(iscsi.fsType == "xfs")
    }

    /// `type: ""` is the default disk (VolumeDefinition.parse treats an empty
    /// value as absent), so kubelet's fsType must apply to it as well.
    @Test func kubeletFsTypeAppliesToADiskWithAnEmptyType() throws {
        let request = try FlexVolumeRequest(json: #"{"type":"","kubernetes.io/fsType":"xfs","kubernetes.io/pvOrVolumeName":"pv1"}"#)
        let definition = try request.definition()
        guard case .disk(let disk) = definition.spec else { Issue.record("not a disk"); return }
        #expect(disk.fsType == "xfs")
    }

    /// The conflict is reported for the disk the empty type stands for.
    @Test func fsTypeConflictOnADiskWithAnEmptyTypeNamesTheDiskScope() throws {
        let request = try FlexVolumeRequest(json: #"{"type":"","fsType":"xfs","kubernetes.io/fsType":"ext4","kubernetes.io/pvOrVolumeName":"pv1"}"#)
        let error = #expect(throws: OptionError.self) { try request.definition() }
        #expect(error?.key == "fsType")
        #expect(error?.scope == "disk")
        #expect(error?.userMessage.hasPrefix("disk: ") == true)
    }

    @Test func pvOrVolumeNameNamesTheSparseDisk() throws {
        let definition = try FlexVolumeRequest(json: #"{"kubernetes.io/pvOrVolumeName":"pv-data","size":"1G"}"#).definition()
        guard case .disk(let disk) = definition.spec else { Issue.record("not a disk"); return }
        #expect(disk.name == VolumeName("pv-data"))
        #expect(disk.backing == .sparseFile(bytes: 1 << 30))
    }

    @Test func withoutAVolumeNameASparseDiskNeedsTheNameOption() throws {
        let request = try FlexVolumeRequest(json: #"{"kubernetes.io/fsType":"ext4"}"#)
        let error = #expect(throws: OptionError.self) { try request.definition() }
        #expect(error?.key == "name")
    }

    @Test func secretsReachTheDefinition() throws {
        let json = #"{"type":"iscsi","portal":"10.0.0.5:3260","iqn":"iqn.2026-11.io.example:x","chapUser":"alice","kubernetes.io/secret/chapSecret":"\#(Self.base64("pw\n"))"}"#
        guard case .iscsi(let iscsi) = try FlexVolumeRequest(json: json).definition().spec else { Issue.record("not iscsi"); return }
        #expect(iscsi.chapSecret == Secret("pw"))
    }

    @Test func secretTheTypeDoesNotKnowIsAnUnknownOptionWithoutItsValue() throws {
        let json = #"{"kubernetes.io/pvOrVolumeName":"pv1","kubernetes.io/secret/password":"\#(Self.base64("hunter2"))"}"#
        let request = try FlexVolumeRequest(json: json)
        let error = #expect(throws: OptionError.self) { try request.definition() }
        #expect(error?.key == "password")
        #expect(error.map { !$0.userMessage.contains("hunter2") } == true)
    }
}
