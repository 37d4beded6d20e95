import MoorCore
import Synchronization
import Testing
@testable import MoorFlexVolume

@Suite struct FlexVolumeDriverTests {
    /// A `makeCore` that records its calls and fails, so no test touches the node.
    final class CoreFactory: Sendable {
        let calls = Mutex<Int>(0)
        static let message = "no core in unit tests"

        func make() throws -> Core {
            calls.withLock { $0 += 1 }
            throw MoorError(.system, Self.message)
        }

        var callCount: Int { calls.withLock { $0 } }
    }

    static func driver() -> (FlexVolumeDriver, CoreFactory) {
        let factory = CoreFactory()
        return (FlexVolumeDriver(makeCore: { try factory.make() }), factory)
    }

    @Test func initAnswersCapabilitiesWithoutBuildingTheCore() {
        let (driver, factory) = Self.driver()
        #expect(driver.run(["init"]) == .capabilities(.moor))
        #expect(factory.callCount == 0)
    }

    @Test(arguments: ["attach", "detach", "waitforattach", "isattached", "mountdevice", "unmountdevice",
                      "getvolumename", "expandvolume", "expandfs", "", "bogus", "INIT", "Mount"])
    func otherVerbsAreNotSupportedWithoutBuildingTheCore(verb: String) {
        let (driver, factory) = Self.driver()
        let reply = driver.run([verb, "/var/lib/kubelet/pods/x", "{}"])
        #expect(reply == .notSupported(nil))
        #expect(reply.json == #"{"status":"Not supported"}"#)
        #expect(factory.callCount == 0)
    }

    @Test func noArgumentsIsNotSupported() {
        let (driver, factory) = Self.driver()
        #expect(driver.run([]) == .notSupported(nil))
        #expect(factory.callCount == 0)
    }

    @Test(arguments: [["mount"], ["mount", "/var/lib/kubelet/pods/x/volumes/moor~moor/v"]])
    func mountWithTooFewArgumentsFails(arguments: [String]) {
        let (driver, factory) = Self.driver()
        #expect(driver.run(arguments) == .failure("mount needs <mount dir> <json options>"))
        #expect(factory.callCount == 0)
    }

    @Test func unmountWithoutADirFails() {
        let (driver, factory) = Self.driver()
        #expect(driver.run(["unmount"]) == .failure("unmount needs <mount dir>"))
        #expect(factory.callCount == 0)
    }

    @Test func mountWithMalformedJSONFailsNamingJSON() throws {
        let (driver, factory) = Self.driver()
        let reply = driver.run(["mount", "/pods/x/vol", "{not json"])
        guard case .failure(let message) = reply else { Issue.record("expected a failure, got \(reply)"); return }
        #expect(message.contains("JSON"))
        #expect(factory.callCount == 0)
    }

    @Test func mountWithABadOptionFailsWithTheOptionMessageBeforeBuildingTheCore() throws {
        let (driver, factory) = Self.driver()
        let reply = driver.run(["mount", "/pods/x/vol", #"{"kubernetes.io/pvOrVolumeName":"pv1","sizee":"1G"}"#])
        guard case .failure(let message) = reply else { Issue.record("expected a failure, got \(reply)"); return }
        #expect(message.hasPrefix("disk: unknown option 'sizee' (allowed: type, name, device"))
        #expect(factory.callCount == 0)
    }

    @Test func validMountBuildsTheCoreOnceAndReportsItsError() {
        let (driver, factory) = Self.driver()
        let reply = driver.run(["mount", "/pods/x/vol", #"{"kubernetes.io/pvOrVolumeName":"pv1","kubernetes.io/readwrite":"rw"}"#])
        #expect(reply == .failure(CoreFactory.message))
        #expect(factory.callCount == 1)
    }

    @Test func unmountBuildsTheCoreOnceAndReportsItsError() {
        let (driver, factory) = Self.driver()
        #expect(driver.run(["unmount", "/pods/x/vol"]) == .failure(CoreFactory.message))
        #expect(factory.callCount == 1)
    }

    @Test func verbsListsWhatMoorAnswers() {
        #expect(FlexVolumeDriver.verbs == ["init", "mount", "unmount"])
    }
}
