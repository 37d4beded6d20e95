import Foundation
import MoorTestSupport
import Testing

/// The QEMU guest node (Tests/guest) boots Debian's kernel under TCG, so that
/// kernel NFS and iSCSI clients, which this machine's kernel lacks, are
/// tested for real: smoke.sh proves the harness; nfs.sh and iscsi.sh drive
/// the built moor and moord against ganesha and tgtd inside the guest;
/// multipath.sh drives moor against tgtd on two portals with multipathd;
/// doctor.sh checks that `moor doctor` sees the guest kernel's NFS and iSCSI.
/// Serialised: each guest uses both cores. `scripts/test` runs this suite in
/// a pass of its own, after the others.
@Suite(
    .serialized,
    .enabled(if: Node.isCI || (Node.isRoot && FileManager.default.fileExists(atPath: "/usr/bin/qemu-system-x86_64"))),
    .timeLimit(.minutes(20))
)
struct GuestNodeTests {
    /// The package root: Tests/MoorIntegrationTests/<this file> is two levels down.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `run-in-guest.sh SCRIPT TIMEOUT` and returns its status and its
    /// combined stdout and stderr.
    static func runInGuest(_ script: String, timeoutSeconds: Int) throws -> (status: Int32, output: String) {
        let guest = packageRoot.appendingPathComponent("Tests/guest")
        let process = Process()
        process.executableURL = guest.appendingPathComponent("run-in-guest.sh")
        process.arguments = [guest.appendingPathComponent(script).path, String(timeoutSeconds)]
        process.currentDirectoryURL = packageRoot
        // The guest gets every MOOR_* variable, and the binaries under test.
        var environment = ProcessInfo.processInfo.environment
        environment["MOOR_BIN"] = Kubelet.moorBinary
        environment["MOORD_BIN"] = Moord.binary
        environment["MOOR_GUEST_ENV"] = "MOORD_BIN"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func smokeScriptMountsNFSAndLogsInToISCSIInTheGuest() throws {
        let (status, output) = try Self.runInGuest("smoke.sh", timeoutSeconds: 900)
        let tail = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
        #expect(status == 0, "run-in-guest.sh smoke.sh exited \(status); last lines:\n\(tail)")
        for step in ["PASS kernel", "PASS nfs-v4", "PASS nfs-v3", "PASS iscsi-login", "PASS iscsi-ext4"] {
            #expect(output.contains(step), "no '\(step)' in the guest's output; last lines:\n\(tail)")
        }
        let failed = output.split(separator: "\n").filter { $0.hasPrefix("FAIL ") }
        #expect(failed.isEmpty, "steps failed: \(failed.joined(separator: "; ")); last lines:\n\(tail)")
    }

    /// Runs a guest script of PASS/FAIL lines and expects every named step to pass.
    static func expectGuestScript(_ script: String, steps: [String]) throws {
        let (status, output) = try runInGuest(script, timeoutSeconds: 900)
        let tail = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
        #expect(status == 0, "run-in-guest.sh \(script) exited \(status); last lines:\n\(tail)")
        for step in steps {
            #expect(output.contains("PASS " + step), "no 'PASS \(step)' in the guest's output; last lines:\n\(tail)")
        }
        let failed = output.split(separator: "\n").filter { $0.hasPrefix("FAIL ") }
        #expect(failed.isEmpty, "steps failed: \(failed.joined(separator: "; ")); last lines:\n\(tail)")
        // The guest's kernel version goes into the suite's output with the timings.
        for line in output.split(separator: "\n") where line.hasPrefix("TIMING ") || line.hasPrefix("MOOR-GUEST: stage 2") {
            print("guest \(script): \(line)")
        }
    }

    @Test func moorMountsNFSWithTheKernelClient() throws {
        try Self.expectGuestScript("nfs.sh", steps: [
            "nfs-v3-one-kernel-mount-two-binds", "nfs-v3-data-shared", "nfs-v3-staging-kept-for-b", "nfs-v3-released",
            "nfs-v41-one-kernel-mount-two-binds", "nfs-v41-data-shared", "nfs-v41-staging-kept-for-b", "nfs-v41-released",
            "ten-consumers", "moord-mount-per-volume-subdir", "moord-remove-deletes-subdir",
            "migrate-docker-local-nfs-same-data-through-moord", "migrate-docker-local-nfs-same-data-through-flexvolume",
            "unmount-with-dead-server", "mount-with-dead-server-fails-in-time",
            "nfs-subdir-through-symlink-refused-evil", "nfs-subdir-through-symlink-refused-hop/inner",
            "nfs-subdir-through-symlink-refused-evil/ssh", "nfs-plain-nested-subdir-mounts",
            "moord-nfs-subdir-symlink-refused", "symlink-left-untouched",
        ])
    }

    @Test func moorAttachesISCSIWithTheKernelInitiator() throws {
        try Self.expectGuestScript("iscsi.sh", steps: [
            "one-login-one-device-one-mount", "lun1-shared", "logout-after-last", "data-survives-logout-login",
            "existing-data-not-reformatted", "session-kept-for-other-lun", "logout-after-second-lun",
            "chap-right", "chap-wrong-clear", "chap-wrong-leaves-nothing", "no-secret-in-log",
            "chap-session-not-shared-with-wrong-secret", "chap-session-not-shared-without-secret",
            "discovery-secret-gone-after-failure", "discovery-secret-gone-after-live-portal",
            "moord-mount", "moord-unmount-remove", "unmount-with-dead-target", "mount-with-dead-target-fails-in-time",
        ])
    }

    @Test func doctorReportsTheGuestKernelsNFSAndISCSIAsUsable() throws {
        try Self.expectGuestScript("doctor.sh", steps: [
            "json-parses", "nfs.kernel-client-ok", "iscsi.iscsi_tcp-ok", "iscsi.iscsid-running-ok", "nfs.mount.nfs-ok",
            "iscsi.iscsiadm-ok", "disk.loop-ok", "docker.moord-ok", "state.writable-ok", "fuse.dev-fuse-", "docker.mount-propagation-",
            "nfs-usable", "iscsi-usable", "text-report-says-usable", "exit-status",
        ])
    }

    @Test func moorMountsTheMultipathMapOverTwoPortals() throws {
        try Self.expectGuestScript("multipath.sh", steps: [
            "two-sessions-one-per-portal", "mounted-on-multipath-map", "io-survives-path-failure", "map-marks-path-failed",
            "nothing-left-after-release", "data-survives-remount", "io-survives-portal-logout",
            "nothing-left-after-portal-logout", "single-path-without-multipathd", "nothing-left-single-path",
        ])
    }
}
