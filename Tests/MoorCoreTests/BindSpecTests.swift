import Testing
@testable import MoorCore

@Suite struct BindSpecTests {
    @Test func pathIsRequiredAndEverythingElseDefaults() throws {
        let definition = try VolumeDefinition.parse(["type": "bind", "path": "/srv/data"])
        let spec = try #require(definition.bind)
        #expect(spec.path == "/srv/data")
        #expect(spec.createPath == false)
        #expect(definition.common == CommonOptions(timeout: .seconds(60)))

        let missing = try #require(parseError(["type": "bind"]))
        #expect(missing.key == "path")
        #expect(missing.problem == .missing)
        #expect(missing.userMessage == "bind: missing required option 'path'")
    }

    @Test(arguments: ["srv/data", "./data", "/srv/../etc", "/srv/./data", "/srv//data", "/srv/data/..", "/srv/da\nta"])
    func pathMustBeCleanAndAbsolute(path: String) throws {
        let error = try #require(parseError(["type": "bind", "path": path]))
        #expect(error.key == "path")
        #expect(error.problem.isMalformed)
        #expect(error.userMessage.contains("absolute path without '..'"))
    }

    @Test(arguments: [("true", true), ("yes", true), ("1", true), ("false", false), ("off", false), ("", false)])
    func createPathIsABoolean(text: String, expected: Bool) throws {
        let definition = try VolumeDefinition.parse(["type": "bind", "path": "/srv/data", "createPath": text])
        #expect(definition.bind?.createPath == expected)
    }

    @Test func createPathThatIsNotABooleanIsNamed() throws {
        let error = try #require(parseError(["type": "bind", "path": "/srv/data", "createPath": "sure"]))
        #expect(error.key == "createPath")
        #expect(error.userMessage == "bind: option 'createPath' is malformed: expected true or false")
    }

    @Test func commonKeysAreAccepted() throws {
        let definition = try VolumeDefinition.parse(["type": "bind", "path": "/srv/data", "createPath": "true", "readOnly": "true",
                                                     "uid": "1000", "gid": "1001", "mode": "0750", "timeout": "5",
                                                     "mountOptions": "nosuid,nodev,noexec,noatime"])
        #expect(definition.common.readOnly)
        #expect(definition.common.uid == 1000 && definition.common.gid == 1001 && definition.common.mode == 0o750)
        #expect(definition.common.timeout == .seconds(5))
        #expect(BindSpec.flags(definition.common.mountOptions) == [.noSetUID, .noDevices, .noExec, .noAccessTime])
    }

    @Test(arguments: ["fsType", "device", "size", "server", "mkfsOptions"])
    func keysOfOtherTypesAreUnknown(key: String) throws {
        let error = try #require(parseError(["type": "bind", "path": "/srv/data", key: "x"]))
        #expect(error.key == key)
        #expect(error.problem == .unknown(allowed: BindSpec.keys))
        #expect(error.userMessage.contains("allowed: type, path, createPath"))
    }

    @Test(arguments: ["discard", "size=1G", "noatime,uid=1000", "rw", "suid", "data=ordered"])
    func mountOptionsABindCannotHonourAreRefused(options: String) throws {
        let error = try #require(parseError(["type": "bind", "path": "/srv/data", "mountOptions": options]))
        #expect(error.key == "mountOptions")
        #expect(error.userMessage.contains("only ro, nosuid, nodev, noexec, noatime, nodiratime, relatime for a bind"))
    }

    @Test func aRefusedOptionsValueIsNeverEchoed() throws {
        let error = try #require(parseError(["type": "bind", "path": "/srv/data", "mountOptions": "nodev,password=hunter2"]))
        #expect(error.userMessage.contains("found 'password'"))
        #expect(!error.userMessage.contains("hunter2"))
    }

    @Test func bindInMountOptionsIsStillRefusedAsManagedByMoor() throws {
        let error = try #require(parseError(["type": "bind", "path": "/srv/data", "mountOptions": "bind"]))
        #expect(error.key == "mountOptions")
        #expect(error.userMessage.contains("'bind', which moor manages itself"))
    }

    @Test func roInMountOptionsMakesTheVolumeReadOnly() throws {
        let definition = try VolumeDefinition.parse(["type": "bind", "path": "/srv/data", "mountOptions": "ro,nodev"])
        #expect(definition.common.readOnly)
        #expect(BindSpec.flags(definition.common.mountOptions) == [.noDevices])
    }
}
