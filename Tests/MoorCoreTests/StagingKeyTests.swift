import Testing
@testable import MoorCore

@Suite struct StagingKeyTests {
    /// FNV-1a 64 reference values (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
    @Test(arguments: [("", "cbf29ce484222325"), ("a", "af63dc4c8601ec8c"), ("abc", "e71fa2190541574b"),
                      ("/var/lib/moor/disks/pv1.img", "ba85d2e58a76b86b")])
    func digestIsFnv1a64AsSixteenHexDigits(source: String, hex: String) {
        #expect(StagingKey.fnv1a64(source) == hex)
    }

    @Test func keyIsPrefixDashDigest() {
        #expect(StagingKey(prefix: "disk-pv1", source: "abc").rawValue == "disk-pv1-e71fa2190541574b")
        #expect(StagingKey(prefix: "disk-pv1", source: "abc").description == "disk-pv1-e71fa2190541574b")
    }

    @Test func sameSourceGivesTheSameKeyAndOtherSourcesDiffer() {
        let a = StagingKey(prefix: "dev-sdb", source: "/dev/sdb")
        #expect(a == StagingKey(prefix: "dev-sdb", source: "/dev/sdb"))
        #expect(a != StagingKey(prefix: "dev-sdb", source: "/dev/sdc"))
    }

    @Test(arguments: [("a/b", "a_b"), ("../..", ".._.."), ("disk pv", "disk_pv"), ("café", "caf_"),
                      ("x\ny", "x_y"), ("ok-name_1.2", "ok-name_1.2"), ("", "")])
    func prefixIsMadePathSafe(prefix: String, readable: String) {
        let key = StagingKey(prefix: prefix, source: "abc")
        #expect(key.rawValue == readable + "-e71fa2190541574b")
        #expect(!key.rawValue.contains("/"))
    }

    @Test func keysUseOnlyPathSafeCharacters() {
        let key = StagingKey(prefix: "Disk/\u{0}ü €\t-x", source: "/dev/sdb")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        #expect(key.rawValue.allSatisfy { allowed.contains($0) })
    }

    @Test func prefixIsCappedAt64Characters() {
        let key = StagingKey(prefix: String(repeating: "p", count: 200), source: "abc")
        #expect(key.rawValue == String(repeating: "p", count: 64) + "-e71fa2190541574b")
    }

    @Test func existingNameRoundTrips() throws {
        let key = StagingKey(prefix: "disk-pv1", source: "/var/lib/moor/disks/pv1.img")
        #expect(try #require(StagingKey(existing: key.rawValue)) == key)
    }

    @Test(arguments: ["nodash", "disk-123", "disk-0123456789abcdef0", ".disk-0123456789abcdef", "a/b-0123456789abcdef",
                      "disk-0123456789abcdef.json", ""])
    func namesWithoutTheKeyShapeAreRefused(name: String) {
        #expect(StagingKey(existing: name) == nil)
    }
}
