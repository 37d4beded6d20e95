import Foundation
import MoorCore
import MoorTestSupport
import Testing

/// Docker passes options only at Create, so moord keeps a volume's
/// credentials: in one 0600 file of its own, and nowhere else it writes.
@Suite(.enabled(if: Node.isCI || Node.isRoot), .timeLimit(.minutes(2)))
struct DockerCredentialsTests {
    static let password = "moor-pw-\(getpid())-\(UInt32.random(in: 1...UInt32.max))"
    static let chap = "moor-chap-\(getpid())-\(UInt32.random(in: 1...UInt32.max))"

    /// Every regular file under `directory` that contains `text`, by path.
    static func files(under directory: String, containing text: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var found: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            let path = directory + "/" + relative
            guard let info = try? Sys.lstat(path), info.st_mode & S_IFMT == S_IFREG,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            if data.range(of: Data(text.utf8)) != nil { found.append(path) }
        }
        return found.sorted()
    }

    @Test func secretsLiveOnlyInTheVolumesCredentialsFile() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let moord = try Moord(root: root); defer { moord.stop() }
        let client = moord.client
        let credentials = root.stateDir + "/volumes/credentials"
        let sshfs = #"{"Name":"sec","Opts":{"type":"fuse","helper":"sshfs","source":"moor@127.0.0.1:/srv","sshPassword":"\#(Self.password)"}}"#
        #expect(try client.call("/VolumeDriver.Create", body: sshfs).err == "")
        let iscsi = #"{"Name":"chap","Opts":{"type":"iscsi","portal":"127.0.0.1:3260","iqn":"iqn.2026-12.io.moor:t1","#
            + #""chapUser":"moor-user","chapSecret":"\#(Self.chap)"}}"#
        #expect(try client.call("/VolumeDriver.Create", body: iscsi).err == "")
        #expect(try client.call("/VolumeDriver.Create", body: sshfs).err == "", "an identical Create is still identical")

        for (secret, file) in [(Self.password, "sec.json"), (Self.chap, "chap.json")] {
            #expect(Self.files(under: root.stateDir, containing: secret) == [credentials + "/" + file])
            #expect(try Sys.stat(credentials + "/" + file).st_mode & 0o777 == 0o600)
        }
        #expect(try Sys.stat(credentials).st_mode & 0o777 == 0o700)
        #expect(Self.files(under: root.stateDir, containing: "moor-user") == [credentials + "/chap.json"], "chapUser is a credential too")
        for body in [#"{"Name":"sec"}"#, #"{"Name":"chap"}"#] {
            let get = try client.call("/VolumeDriver.Get", body: body)
            #expect(get.err == "")
            #expect(!get.body.contains(Self.password) && !get.body.contains(Self.chap) && !get.body.contains("moor-user"))
        }
        let list = try client.call("/VolumeDriver.List", body: "{}")
        #expect(list.body.contains("\"sec\"") && !list.body.contains(Self.password) && !list.body.contains(Self.chap))

        // A failed Create leaves no credentials; its error does not echo them.
        let bad = #"{"Name":"bad","Opts":{"type":"fuse","helper":"sshfs","source":"-oProxyCommand=x","sshPassword":"\#(Self.password)-bad"}}"#
        let refused = try client.call("/VolumeDriver.Create", body: bad)
        #expect(refused.err?.isEmpty == false)
        #expect(refused.err?.contains(Self.password) == false)
        let conflict = #"{"Name":"sec","Opts":{"type":"fuse","helper":"sshfs","source":"moor@127.0.0.1:/srv","sshPassword":"\#(Self.password)-2"}}"#
        #expect(try client.call("/VolumeDriver.Create", body: conflict).err?.contains("different options") == true)
        #expect(Self.files(under: root.stateDir, containing: Self.password + "-").isEmpty)

        // After a restart the volume still has its credentials (an identical Create agrees).
        moord.stop()
        try moord.start()
        #expect(try client.call("/VolumeDriver.Create", body: sshfs).err == "")

        #expect(try client.call("/VolumeDriver.Remove", body: #"{"Name":"sec"}"#).err == "")
        #expect(try client.call("/VolumeDriver.Remove", body: #"{"Name":"chap"}"#).err == "")
        #expect(!FileManager.default.fileExists(atPath: credentials + "/sec.json"))
        #expect(!FileManager.default.fileExists(atPath: credentials + "/chap.json"))
        #expect(Self.files(under: root.stateDir, containing: Self.password).isEmpty)
        #expect(Self.files(under: root.stateDir, containing: Self.chap).isEmpty)
        let log = (try? String(contentsOfFile: moord.logFile, encoding: .utf8)) ?? ""
        #expect(log.contains("volume created"), "the log is where the test thinks")
        #expect(!log.contains(Self.password) && !log.contains(Self.chap) && !log.contains("moor-user"))
    }

    /// A record written by an older moord held the credentials (0600): the
    /// next start moves them to the credentials file and rewrites the record.
    @Test func oldRecordsAreMigratedAtStart() throws {
        let root = try TempRoot(); defer { root.tearDown() }
        let volumes = root.stateDir + "/volumes"
        try FileManager.default.createDirectory(atPath: volumes, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let old = #"{"createdAt":"2026-11-01T00:00:00Z","mountIDs":{},"name":"legacy","#
            + #""options":{"helper":"sshfs","source":"moor@127.0.0.1:/srv","sshPassword":"\#(Self.password)","type":"fuse"},"version":1}"#
        #expect(FileManager.default.createFile(atPath: volumes + "/legacy.json", contents: Data(old.utf8), attributes: [.posixPermissions: 0o600]))

        let moord = try Moord(root: root); defer { moord.stop() }
        #expect(Self.files(under: root.stateDir, containing: Self.password) == [volumes + "/credentials/legacy.json"])
        #expect(try Sys.stat(volumes + "/credentials/legacy.json").st_mode & 0o777 == 0o600)
        let get = try moord.client.call("/VolumeDriver.Get", body: #"{"Name":"legacy"}"#)
        #expect(get.err == "" && !get.body.contains(Self.password))
        let same = #"{"Name":"legacy","Opts":{"type":"fuse","helper":"sshfs","source":"moor@127.0.0.1:/srv","sshPassword":"\#(Self.password)"}}"#
        #expect(try moord.client.call("/VolumeDriver.Create", body: same).err == "", "the migrated volume keeps its password")
        #expect(try moord.client.call("/VolumeDriver.Remove", body: #"{"Name":"legacy"}"#).err == "")
        #expect(Self.files(under: root.stateDir, containing: Self.password).isEmpty)
        let log = (try? String(contentsOfFile: moord.logFile, encoding: .utf8)) ?? ""
        #expect(log.contains("credentials moved") && !log.contains(Self.password))
    }
}
