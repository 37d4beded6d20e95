import Testing
@testable import MoorCore
import MoorDockerOptions

@Suite struct LocalDriverOptionsTests {
    @Test func noneWithBindIsAHostDirectory() throws {
        let options = try LocalDriverOptions.translate(["type": "none", "o": "bind", "device": "/srv/data"])
        #expect(options == ["type": "bind", "path": "/srv/data"])
        let definition = try VolumeDefinition.parse(options)
        #expect(definition.bind?.path == "/srv/data")
        #expect(!definition.common.readOnly)
    }

    @Test func roBecomesReadOnlyAndOtherFlagsMountOptions() throws {
        let options = try LocalDriverOptions.translate(["type": "none", "o": "bind,ro,nosuid,noexec", "device": "/srv/data"])
        #expect(options == ["type": "bind", "path": "/srv/data", "readOnly": "true", "mountOptions": "nosuid,noexec"])
        let definition = try VolumeDefinition.parse(options)
        #expect(definition.common.readOnly)
        #expect(BindSpec.flags(definition.common.mountOptions) == [.noSetUID, .noExec])
    }

    @Test func rwIsTheDefaultAndDropped() throws {
        #expect(try LocalDriverOptions.translate(["type": "none", "o": "rw,bind", "device": "/srv/data"]) == ["type": "bind", "path": "/srv/data"])
    }

    @Test func rbindIsRefusedNamingO() throws {
        #expect {
            try LocalDriverOptions.translate(["type": "none", "o": "rbind", "device": "/srv/data"])
        } throws: { error in
            let option = error as? OptionError
            return option?.key == "o" && option?.userMessage.contains("not rbind") == true
        }
    }

    @Test func aFlagABindCannotHonourIsRefusedNamingO() throws {
        #expect {
            try LocalDriverOptions.translate(["type": "none", "o": "bind,password=hunter2", "device": "/srv/data"])
        } throws: { error in
            let option = error as? OptionError
            return option?.key == "o" && option?.userMessage.contains("found 'password')") == true
                && option?.userMessage.contains("hunter2") == false
        }
    }

    @Test func missingDeviceIsNamed() throws {
        #expect(throws: OptionError(scope: "local driver", key: "device", problem: .missing)) {
            try LocalDriverOptions.translate(["type": "none", "o": "bind"])
        }
    }

    @Test func aRelativeDeviceIsRefusedAsThePath() throws {
        let options = try LocalDriverOptions.translate(["type": "none", "o": "bind", "device": "srv/data"])
        let error = try #require(parseError(options))
        #expect(error.key == "path")
        #expect(error.problem.isMalformed)
    }

    @Test func noneWithoutBindIsStillRefused() throws {
        #expect {
            try LocalDriverOptions.translate(["type": "none", "o": "ro", "device": "/srv/data"])
        } throws: { error in
            (error as? OptionError)?.key == "type"
        }
    }

    @Test func moorsOwnBindVocabularyPassesThrough() throws {
        let options = ["type": "bind", "path": "/srv/data", "createPath": "true"]
        #expect(try LocalDriverOptions.translate(options) == options)
    }

    @Test func localDriverOptionsAreCheckedAfterTranslation() throws {
        let nfs = try LocalDriverOptions.translate(["type": "nfs", "o": "addr=10.0.0.5,nfsvers=4.1,clientaddr=10.9.9.9", "device": ":/export"])
        #expect(try #require(parseError(nfs)).userMessage.contains("found 'clientaddr'"))
        let ext4 = try LocalDriverOptions.translate(["type": "ext4", "o": "noatime,journal_path=/dev/sda", "device": "/dev/sdz9"])
        #expect(try #require(parseError(ext4)).userMessage.contains("found 'journal_path'"))
        let good = try LocalDriverOptions.translate(["type": "nfs", "o": "addr=10.0.0.5,nfsvers=4.1,hard,timeo=600", "device": ":/export"])
        #expect(try VolumeDefinition.parse(good).common.mountOptions.options == ["hard", "timeo=600"])
    }

    /// Docker's rule, in one place for moord and `moor migrate`: a moor NFS
    /// volume gets a directory named after it; the local driver's form keeps its export.
    @Test func aMoorNFSVolumeGetsItsOwnSubdirectoryAndTheLocalFormKeepsItsExport() throws {
        let native = try DockerVolumeOptions.moorOptions(name: "shop", given: ["type": "nfs", "server": "nas", "share": "/export"])
        #expect(native["subdir"] == "shop" && native["createSubdir"] == "true")
        let own = try DockerVolumeOptions.moorOptions(name: "shop", given: ["type": "nfs", "server": "nas", "share": "/export", "subdir": "x"])
        #expect(own["subdir"] == "x" && own["createSubdir"] == nil)
        let local = try DockerVolumeOptions.moorOptions(name: "shop", given: ["type": "nfs", "o": "addr=nas", "device": ":/export"])
        #expect(local["subdir"] == nil && local["share"] == "/export")
        #expect(try DockerVolumeOptions.moorOptions(name: "d", given: ["size": "1G"]) == ["size": "1G"])
    }
}
