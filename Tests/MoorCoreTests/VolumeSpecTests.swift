import Testing
@testable import MoorCore

@Suite struct VolumeSpecTests {
    @Test func noOptionsWithANameIsTheEmbeddedSparseDisk() throws {
        let definition = try VolumeDefinition.parse([:], name: "pv-data")
        let disk = try #require(definition.disk)
        #expect(definition.spec.type == .disk)
        #expect(disk.backing == .sparseFile(bytes: nil))
        #expect(disk.name == VolumeName("pv-data"))
        #expect(disk.fsType == nil)
        #expect(disk.mkfsOptions == [])
        #expect(definition.common == CommonOptions(timeout: .seconds(120)))
    }

    @Test func emptyTypeMeansDisk() throws {
        let definition = try VolumeDefinition.parse(["type": ""], name: "v1")
        #expect(definition.disk?.backing == .sparseFile(bytes: nil))
    }

    @Test func noNameAndNoDeviceNamesTheNameKey() throws {
        let error = try #require(parseError([:]))
        #expect(error.key == "name")
        #expect(error.scope == "disk")
        #expect(error.userMessage.contains("'name'"))
    }

    @Test func unknownKeyIsNamedAndTheAllowedKeysListed() throws {
        let error = try #require(parseError(["sizee": "10G"], name: "v1"))
        #expect(error.key == "sizee")
        #expect(error.problem == .unknown(allowed: DiskSpec.keys))
        #expect(error.userMessage.contains("unknown option 'sizee'"))
        #expect(error.userMessage.contains("allowed: type, name, device"))
        #expect(error.userMessage == "disk: unknown option 'sizee' (allowed: \(DiskSpec.keys.joined(separator: ", ")))")
    }

    @Test func theFirstUnknownKeyInSortedOrderIsReported() throws {
        let error = try #require(parseError(["zeta": "1", "alpha": "2"], name: "v1"))
        #expect(error.key == "alpha")
    }

    @Test func unknownKeyWithControlCharactersIsPrintedSafely() throws {
        let error = try #require(parseError(["bad\nkey": "1"], name: "v1"))
        #expect(error.userMessage.contains("unknown option 'bad?key'"))
        #expect(!error.userMessage.contains("\n"))
    }

    @Test func unknownTypeNamesTheTypeKey() throws {
        let error = try #require(parseError(["type": "bogus"], name: "v1"))
        #expect(error.key == "type")
        #expect(error.scope == "volume")
        #expect(error.problem.isMalformed)
        #expect(error.userMessage.contains("disk, nfs, iscsi, fuse"))
    }

    @Test func keyOfAnotherTypeIsUnknownForThisType() throws {
        let error = try #require(parseError(["type": "nfs", "server": "nas", "share": "/export", "fsType": "ext4"]))
        #expect(error.key == "fsType")
        #expect(error.problem == .unknown(allowed: NFSSpec.keys))
    }

    @Test func secretKeyTheTypeDoesNotKnowIsUnknownWithoutItsValue() throws {
        let value = "hunter2-very-secret"
        let error = try #require(parseError([:], secrets: ["chapSecret": Secret(value)], name: "v1"))
        #expect(error.key == "chapSecret")
        #expect(error.problem == .unknown(allowed: DiskSpec.keys))
        #expect(!error.userMessage.contains(value))
        #expect(!String(describing: error).contains(value))
    }

    @Test(arguments: [("disk", 120), ("iscsi", 120), ("nfs", 60), ("fuse", 60)])
    func defaultTimeoutDependsOnTheType(type: String, seconds: Int64) throws {
        let options: [String: String] = switch type {
        case "nfs": ["type": "nfs", "server": "nas", "share": "/export"]
        case "iscsi": ["type": "iscsi", "portal": "10.0.0.5:3260", "iqn": "iqn.2026-11.io.example:store1"]
        case "fuse": ["type": "fuse", "helper": "sshfs", "source": "user@host:/data"]
        default: ["type": "disk"]
        }
        let definition = try VolumeDefinition.parse(options, name: "v1")
        #expect(definition.spec.type.rawValue == type)
        #expect(definition.common.timeout == .seconds(seconds))
    }
}
