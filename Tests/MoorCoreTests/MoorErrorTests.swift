import SystemPackage
import Testing
@testable import MoorCore

@Suite struct MoorErrorTests {
    @Test func optionErrorsBecomeInvalidOptionWithTheUserMessage() {
        let option = OptionError(scope: "nfs", key: "server", problem: .missing)
        let error = MoorError.from(option)
        #expect(error.kind == .invalidOption)
        #expect(error.message == "nfs: missing required option 'server'")
    }

    @Test func helperTimeoutsBecomeTimedOut() {
        #expect(MoorError.from(HelperError(tool: "mount", status: nil, stderrTail: "", timedOut: true)).kind == .timedOut)
        let failed = MoorError.from(HelperError(tool: "mount", status: 32, stderrTail: "bad"))
        #expect(failed.kind == .system)
        #expect(failed.message == "mount failed with exit status 32: bad")
    }

    @Test(arguments: [(Errno.staleNFSFileHandle, MoorError.Kind.corruptedMount), (.socketNotConnected, .corruptedMount),
                      (.ioError, .corruptedMount), (.noSuchFileOrDirectory, .system), (.resourceBusy, .system)])
    func systemCallErrorsMapByErrno(errno: Errno, kind: MoorError.Kind) {
        let error = MoorError.from(SystemCallError("stat", "/mnt/x", errno))
        #expect(error.kind == kind)
        #expect(error.message.hasPrefix("stat /mnt/x: "))
    }

    @Test func moorErrorsPassThroughUnchanged() {
        let error = MoorError.from(MoorError(.busy, "in use"))
        #expect(error.kind == .busy)
        #expect(error.message == "in use")
        #expect(error.description == "in use")
    }
}
