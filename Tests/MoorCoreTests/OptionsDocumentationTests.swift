import Foundation
import Testing
import MoorCore

/// docs/options.md is the user's reference: every key the parser accepts
/// must be documented there. A missing file is a failure, not a skip.
@Suite struct OptionsDocumentationTests {
    static let optionsDoc = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // MoorCoreTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // package root
        .appendingPathComponent("docs/options.md").path

    static let documentedKeys: [(type: String, keys: [String])] = [
        ("disk", DiskSpec.keys), ("nfs", NFSSpec.keys), ("iscsi", ISCSISpec.keys), ("fuse", FUSESpec.keys), ("bind", BindSpec.keys),
    ]

    @Test(arguments: ["disk", "nfs", "iscsi", "fuse", "bind"])
    func everyOptionKeyIsDocumentedInBackticks(type: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: Self.optionsDoc, encoding: .utf8)
        } catch {
            Issue.record("\(Self.optionsDoc) cannot be read: \(error)")
            return
        }
        let keys = try #require(Self.documentedKeys.first { $0.type == type }?.keys)
        let missing = keys.filter { !text.contains("`\($0)`") }
        #expect(missing.isEmpty, "\(type) keys missing from docs/options.md: \(missing.joined(separator: ", "))")
    }
}

/// The allow-lists in docs/options.md follow the code: every option name
/// of every mount-option table and every mkfs flag is documented.
@Suite struct AllowListDocumentationTests {
    static func doc() throws -> String { try String(contentsOfFile: OptionsDocumentationTests.optionsDoc, encoding: .utf8) }

    @Test(arguments: ["generic", "nfs", "ext4", "xfs", "sshfs", "bind"])
    func everyAllowedMountOptionIsDocumented(table: String) throws {
        let tables: [String: OptionAllowList] = ["generic": .generic, "nfs": .nfs, "ext4": .ext4, "xfs": .xfs, "sshfs": .sshfs, "bind": .bind]
        let text = try Self.doc()
        let names = try #require(tables[table]).rules.map(\.name)
        let missing = names.filter { !text.contains("`\($0)`") }
        #expect(missing.isEmpty, "\(table) mount options missing from docs/options.md: \(missing.joined(separator: ", "))")
    }

    @Test func everyAllowedMkfsFlagIsDocumented() throws {
        let text = try Self.doc()
        for table in [MkfsOptions.ext4, MkfsOptions.xfs] {
            let missing = table.flags.map(\.name).filter { !text.contains("`\($0)") }
            #expect(missing.isEmpty, "\(table.program) flags missing from docs/options.md: \(missing.joined(separator: ", "))")
        }
    }

    @Test func everyPolicyKeyIsDocumented() throws {
        let text = try Self.doc()
        for key in ["allowedDevices", "allowedFuseHelpers", "allowedHostPaths", "allowedCredentialFiles", "fuseHelperOptions", "maxTimeout"] {
            #expect(text.contains("| `\(key)` |"), "policy key \(key) missing from docs/options.md's policy table")
        }
    }
}
