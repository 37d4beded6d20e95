import Testing
@testable import MoorCore

@Suite struct CommandTests {
    @Test func descriptionRedactsSensitiveArguments() {
        var command = Command("iscsiadm", ["-m", "node", "--value", "s3cret", "--op", "update"], timeout: .seconds(5))
        #expect(command.description == "iscsiadm -m node --value s3cret --op update")
        command.sensitiveArguments = [3]
        #expect(command.description == "iscsiadm -m node --value <redacted> --op update")
        #expect(!"\(command)".contains("s3cret"))
    }

    @Test func checkPassesAZeroExit() throws {
        let result = CommandResult(status: 0, stdout: "ok", stderr: "", duration: .zero)
        #expect(result.succeeded)
        #expect(try result.check("tool").stdout == "ok")
    }

    @Test func checkThrowsTheLastStderrLine() throws {
        let result = CommandResult(status: 32, stdout: "noise\n", stderr: "first\nmount: wrong fs type\n\n  \n", duration: .zero)
        let error = #expect(throws: HelperError.self) { try result.check("mount") }
        #expect(error?.status == 32)
        #expect(error?.stderrTail == "mount: wrong fs type")
        #expect(error?.description == "mount failed with exit status 32: mount: wrong fs type")
        #expect(error?.timedOut == false)
    }

    @Test func checkFallsBackToStdoutWhenStderrIsEmpty() throws {
        let result = CommandResult(status: 1, stdout: "only stdout\n", stderr: "", duration: .zero)
        let error = #expect(throws: HelperError.self) { try result.check("blkid") }
        #expect(error?.stderrTail == "only stdout")
    }

    @Test func tailIsCappedAt300Characters() {
        let line = String(repeating: "a", count: 100) + String(repeating: "b", count: 300)
        #expect(CommandResult.tail("x\n" + line + "\n") == String(repeating: "b", count: 300))
        #expect(CommandResult.tail("") == "")
    }

    @Test(arguments: [
        (HelperError(tool: "mkfs.ext4", status: 1, stderrTail: ""), "mkfs.ext4 failed with exit status 1"),
        (HelperError(tool: "losetup", status: nil, stderrTail: "Permission denied"), "losetup could not be started: Permission denied"),
        (HelperError(tool: "fsck", status: nil, stderrTail: "", timedOut: true), "fsck did not finish within its deadline and was killed"),
    ])
    func helperErrorDescriptions(error: HelperError, description: String) {
        #expect(error.description == description)
    }
}
