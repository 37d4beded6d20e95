import Testing
@testable import MoorCore

extension NodeKey {
    /// A fixed key, so digests in tests are known values.
    static let test = NodeKey(bytes: Array(repeating: 7, count: 32))
    static let other = NodeKey(bytes: Array(repeating: 8, count: 32))
}

@Suite struct StagingKeyTests {
    @Test func keyIsPrefixDashThirtyTwoHexDigitsOfTheKeyedDigest() {
        let key = StagingKey(prefix: "disk-pv1", source: "abc", nodeKey: .test)
        let digest = SHA256.hex(SHA256.hmac(key: Array(repeating: 7, count: 32), Array("abc".utf8)).prefix(16))
        #expect(key.rawValue == "disk-pv1-" + digest)
        #expect(key.description == key.rawValue)
        #expect(digest.count == 32)
    }

    @Test func sameSourceGivesTheSameKeyAndOtherSourcesDiffer() {
        let a = StagingKey(prefix: "dev-sdb", source: "/dev/sdb", nodeKey: .test)
        #expect(a == StagingKey(prefix: "dev-sdb", source: "/dev/sdb", nodeKey: .test))
        #expect(a != StagingKey(prefix: "dev-sdb", source: "/dev/sdc", nodeKey: .test))
    }

    /// Nobody off the node can compute (or collide) a key: another node key
    /// gives another digest for the very same source.
    @Test func theDigestDependsOnTheNodeKey() {
        #expect(StagingKey(prefix: "p", source: "abc", nodeKey: .test) != StagingKey(prefix: "p", source: "abc", nodeKey: .other))
    }

    @Test(arguments: [("a/b", "a_b"), ("../..", ".._.."), ("disk pv", "disk_pv"), ("café", "caf_"),
                      ("x\ny", "x_y"), ("ok-name_1.2", "ok-name_1.2"), ("", "")])
    func prefixIsMadePathSafe(prefix: String, readable: String) {
        let key = StagingKey(prefix: prefix, source: "abc", nodeKey: .test)
        #expect(key.rawValue.hasPrefix(readable + "-"))
        #expect(key.rawValue.count == readable.count + 1 + 32)
        #expect(!key.rawValue.contains("/"))
    }

    @Test func keysUseOnlyPathSafeCharacters() {
        let key = StagingKey(prefix: "Disk/\u{0}ü €\t-x", source: "/dev/sdb", nodeKey: .test)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        #expect(key.rawValue.allSatisfy { allowed.contains($0) })
    }

    @Test func prefixIsCappedAt64Characters() {
        let key = StagingKey(prefix: String(repeating: "p", count: 200), source: "abc", nodeKey: .test)
        #expect(key.rawValue.hasPrefix(String(repeating: "p", count: 64) + "-"))
        #expect(key.rawValue.count == 64 + 1 + 32)
    }

    @Test func existingNameRoundTrips() throws {
        let key = StagingKey(prefix: "disk-pv1", source: "/var/lib/moor/disks/pv1.img", nodeKey: .test)
        #expect(try #require(StagingKey(existing: key.rawValue)) == key)
    }

    /// Mounts staged by a moor before keyed digests must still be released.
    @Test func aLegacySixteenDigitKeyIsStillRecognised() {
        #expect(StagingKey(existing: "disk-pv1-e71fa2190541574b")?.rawValue == "disk-pv1-e71fa2190541574b")
    }

    @Test(arguments: ["nodash", "disk-123", "disk-0123456789abcdef0", ".disk-0123456789abcdef", "a/b-0123456789abcdef",
                      "disk-0123456789abcdef.json", "disk-0123456789abcdeg", ""])
    func namesWithoutTheKeyShapeAreRefused(name: String) {
        #expect(StagingKey(existing: name) == nil)
    }

    /// Credentials are part of identity: another secret, or none, is another key.
    @Test func credentialIdentityTellsSecretsApartAndNeverHoldsThemInTheKey() {
        let withKey = Secret.identity([Secret("k1"), nil])
        #expect(withKey != Secret.identity([Secret("k2"), nil]))
        #expect(withKey != Secret.identity([nil, nil]))
        #expect(Secret.identity([Secret(""), nil]) != Secret.identity([nil, nil]))
        let key = StagingKey(prefix: "fuse-sshfs", source: "src\u{0}" + withKey, nodeKey: .test)
        #expect(!key.rawValue.contains("k1"))
    }
}

@Suite struct SHA256Tests {
    /// FIPS 180-4 / NIST example vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func hashMatchesTheStandardVectors(message: String, hex: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == hex)
    }

    @Test func hashOfAMillionAs() {
        #expect(SHA256.hex(SHA256.hash(Array(repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test cases 1 and 6 (a key longer than the block).
    @Test func hmacMatchesRFC4231() {
        #expect(SHA256.hex(SHA256.hmac(key: Array(repeating: 0x0b, count: 20), Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256.hex(SHA256.hmac(key: Array(repeating: 0xaa, count: 131),
                                       Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
