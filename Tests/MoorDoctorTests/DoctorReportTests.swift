import Foundation
import Testing
@testable import MoorDoctor

struct DoctorReportTests {
    static let report = DoctorReport(kernel: "6.18.44-fc-v669", findings: [
        Finding("node.mount", .node, .ok, found: "mount is at /usr/bin/mount"),
        Finding("disk.ext4", .disk, .ok, found: "ext4 is in /proc/filesystems"),
        Finding("disk.xfs", .disk, .warning, found: "xfs missing", fix: "use a kernel with CONFIG_XFS_FS"),
        Finding("nfs.kernel-client", .nfs, .problem, found: "kernel NFS client missing", fix: "boot a kernel with CONFIG_NFS_FS"),
        Finding("state.writable", .state, .ok, found: "state dir /var/lib/moor is writable"),
    ])

    @Test func aProblemMakesOnlyItsBackendUnusable() throws {
        let verdicts = Self.report.verdicts
        #expect(verdicts.map(\.backend) == ["disk", "nfs", "iscsi", "fuse"])
        #expect(verdicts.first { $0.backend == "nfs" }?.blockedBy == ["nfs.kernel-client"])
        #expect(verdicts.filter(\.usable).map(\.backend) == ["disk", "iscsi", "fuse"], "a warning blocks nothing")
        #expect(Self.report.hasProblems)
    }

    @Test func warningsAloneDoNotFail() {
        let report = DoctorReport(kernel: "k", findings: Self.report.findings.filter { $0.status != .problem })
        #expect(!report.hasProblems)
        #expect(report.warningCount == 1)
    }

    @Test func aNodeWideProblemBlocksEveryBackend() {
        let report = DoctorReport(kernel: "k", findings: [Finding("state.writable", .state, .problem, found: "read-only", fix: "remount")])
        #expect(report.verdicts.allSatisfy { !$0.usable && $0.blockedBy == ["state.writable"] })
    }

    @Test func jsonHasSortedKeysAndNoFixForOkFindings() throws {
        let json = Self.report.json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object.keys.sorted() == ["backends", "findings", "kernel", "problems", "version", "warnings"])
        #expect(json.range(of: "\"backends\"")!.lowerBound < json.range(of: "\"findings\"")!.lowerBound)
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.count == 5)
        #expect(findings[0]["fix"] == nil)
        #expect(findings[3]["fix"] as? String == "boot a kernel with CONFIG_NFS_FS")
        #expect(object["problems"] as? Int == 1)
    }

    @Test func textGivesEachProblemItsFixOnTheNextLine() {
        let lines = Self.report.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "moor doctor: kernel 6.18.44-fc-v669, 1 problem(s), 1 warning(s)")
        #expect(lines.contains("nfs      NOT usable on this node: nfs.kernel-client"))
        let index = lines.firstIndex { $0.contains("nfs.kernel-client") && $0.contains("problem") }!
        #expect(lines[index + 1].trimmingPrefixSpaces == "fix: boot a kernel with CONFIG_NFS_FS")
    }
}

extension String {
    var trimmingPrefixSpaces: String { String(drop { $0 == " " }) }
}
