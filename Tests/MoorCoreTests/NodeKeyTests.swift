import Foundation
import MoorTestSupport
import Testing
@testable import MoorCore

@Suite struct NodeKeyTests {
    @Test func theKeyIsMadeOnceRootOnlyAndReadBackTheSame() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let first = try NodeKey.load(stateRoot: dir.path + "/state")
        let again = try NodeKey.load(stateRoot: dir.path + "/state")
        #expect(first == again)
        var info = stat()
        #expect(stat(dir.path + "/state/node.key", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_size == 32)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/state").filter { $0 != "node.key" }
        #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")
    }

    @Test func twoNodesGetDifferentKeys() throws {
        let a = try TempDirectory(), b = try TempDirectory(); defer { a.remove(); b.remove() }
        #expect(try NodeKey.load(stateRoot: a.path) != NodeKey.load(stateRoot: b.path))
    }

    /// Processes racing to make the key all end up with the one on disk.
    @Test func concurrentFirstUsesAgreeOnOneKey() async throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        let root = dir.path + "/state"
        let keys = try await withThrowingTaskGroup(of: NodeKey.self) { group in
            for _ in 0..<8 { group.addTask { try NodeKey.load(stateRoot: root) } }
            return try await group.reduce(into: [NodeKey]()) { $0.append($1) }
        }
        #expect(Set(keys).count == 1)
    }

    @Test func aDamagedKeyIsAnErrorNotANewKey() throws {
        let dir = try TempDirectory(); defer { dir.remove() }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir.path + "/node.key"))
        #expect(throws: MoorError.self) { try NodeKey.load(stateRoot: dir.path) }
    }
}
