import Testing
@testable import MoorCore

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
}
