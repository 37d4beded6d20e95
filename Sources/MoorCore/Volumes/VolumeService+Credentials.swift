import FoundationEssentials

/// A Docker volume's credentials, kept apart from its record. Docker passes
/// options only at Create, so moord must keep them to mount later; they
/// live in `<stateDir>/volumes/credentials/<name>.json` (0600, in a 0700
/// directory), are read only where a definition is parsed to act on the
/// volume, and never reach the record, `Status`, `List` or a log.
struct VolumeCredentials: Codable, Equatable, Sendable {
    var version = 1
    var secrets: [String: String]

    /// Option keys whose values are credentials: every key a spec reads with
    /// `OptionReader.secret` (a test checks this against the specs).
    static let keys: Set<String> = ["sshKey", "sshPassword", "chapUser", "chapSecret", "discoveryChapUser", "discoveryChapSecret"]

    /// Splits options into plain ones and credentials. An empty credential
    /// means "none" to the option reader, so it is dropped.
    static func split(_ options: [String: String]) -> (plain: [String: String], secrets: [String: String]) {
        var plain: [String: String] = [:], secrets: [String: String] = [:]
        for (key, value) in options {
            if !keys.contains(key) {
                plain[key] = value
            } else if !value.isEmpty {
                secrets[key] = value
            }
        }
        return (plain, secrets)
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}

extension VolumeService {
    var credentialsRoot: String { recordsRoot + "/credentials" }
    /// A directory of its own: `<name>.credentials.json` beside the records
    /// would be the record of a volume named `<name>.credentials`.
    func credentialsPath(_ name: VolumeName) -> String { credentialsRoot + "/" + name.rawValue + ".json" }

    /// The volume's definition, its credentials read back from their file.
    func definition(of record: VolumeRecord) throws -> VolumeDefinition {
        let name = VolumeName(record.name)!
        let secrets = try readCredentials(name).mapValues(Secret.init)
        return try definition(record.options, name, secrets: secrets)
    }

    /// The stored credentials; none when the volume has no file.
    func readCredentials(_ name: VolumeName) throws -> [String: String] {
        guard let bytes = try Sys.readFileIfPresent(credentialsPath(name), limit: 1 << 20) else { return [:] }
        do {
            return try JSONDecoder().decode(VolumeCredentials.self, from: Data(bytes)).secrets
        } catch {
            // Never the decoder's message: it may quote the file's content.
            throw MoorError(.system, "the credentials file of volume '\(name)' is unreadable; remove the volume and create it again")
        }
    }


    /// Writes (or, for none, deletes) the credentials file: 0600, atomically.
    func writeCredentials(_ name: VolumeName, _ secrets: [String: String]) throws {
        let path = credentialsPath(name)
        guard !secrets.isEmpty else {
            try Sys.unlink(path)
            return
        }
        try Sys.mkdirs(credentialsRoot, mode: 0o700)
        // writeAtomically creates the file 0600.
        try core.state.writeAtomically(path, VolumeCredentials(secrets: secrets).encoded())
    }

    /// Start-up: moves credentials out of a record written by an older moord
    /// (credentials first, so a crash in between loses none; the record is
    /// then rewritten without them). Returns the record as it now is.
    func migrateCredentials(_ record: VolumeRecord) throws -> VolumeRecord {
        let (plain, secrets) = VolumeCredentials.split(record.options)
        guard plain != record.options else { return record }
        let name = VolumeName(record.name)!
        var migrated = record
        migrated.options = plain
        try withVolumeLock(name) {
            let kept = (try? readCredentials(name)) ?? [:]
            try writeCredentials(name, kept.merging(secrets) { _, fromRecord in fromRecord })
            try save(migrated)
        }
        logger.info("volume record migrated: credentials moved to their own file", metadata: ["volume.name": "\(name)"])
        return migrated
    }

    /// Start-up: deletes credentials whose volume has no record file (a
    /// crash between writing them and the record at Create, or after
    /// Remove deleted the record), and temp files a crash left mid-write.
    /// A record that could not be read keeps its credentials.
    func sweepOrphanCredentials() {
        let files = (try? Sys.listDirectory(recordsRoot)) ?? []
        let records = Set(files.filter { $0.hasSuffix(".json") })
        for file in (try? Sys.listDirectory(credentialsRoot)) ?? [] where !(file.hasSuffix(".json") && records.contains(file)) {
            try? Sys.unlink(credentialsRoot + "/" + file)
        }
        // An older moord's record, caught mid-write, held credentials too.
        for file in files where file.contains(".json.tmp.") {
            try? Sys.unlink(recordsRoot + "/" + file)
        }
    }
}
