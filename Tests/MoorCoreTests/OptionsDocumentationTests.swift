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
