#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import MoorCore
import MoorDockerOptions
import NIOConcurrencyHelpers

/// Maps plugin-protocol calls onto the core's `VolumeService`. Reads (Get,
/// List, Path, Capabilities, Activate) answer from memory at once; writes
/// (Create, Remove, Mount, Unmount) are run by the server off the event
/// loop, one at a time per volume name, each in the lane that says whether
/// it may wait on a server.
public struct DockerRouter: Sendable {
    public let volumes: VolumeService
    private let listCache = NIOLockedValueBox<(generation: UInt64, body: String)?>(nil)
    /// Encoded Get answers, up to the live capacity figures, valid for one generation.
    private let getCache = NIOLockedValueBox<(generation: UInt64, bodies: [String: CachedGet])>((0, [:]))
    private static let decoder = JSONDecoder()

    struct CachedGet {
        var head: String
        /// A mounted local disk: capacity from statvfs.
        var mountpoint: String?
        /// A mounted network or FUSE volume: probed for health (bounded).
        var probed: String?
    }

    public init(volumes: VolumeService) { self.volumes = volumes }

    /// Which threads run a serialised call (see `DockerServer`).
    public enum Lane: Sendable {
        /// Local files only (a record, a sparse disk's image): the metadata pool.
        case metadata
        /// May wait on a server or a device: a thread of its own.
        case backend
    }

    public enum Route: Sendable {
        case immediate(DockerReply)
        /// Blocking work for one volume name; `lane` is asked when its turn comes.
        case serialised(name: String, lane: @Sendable () -> Lane, work: @Sendable () -> DockerReply)
        /// Work that may block briefly (a bounded health probe), off the
        /// event loop on the probe threads, not queued behind the volume's other calls.
        case offloaded(@Sendable () -> DockerReply)
    }

    public func route(_ path: String, body: [UInt8]) -> Route {
        switch path {
        case "/Plugin.Activate":
            return .immediate(DockerReply(body: #"{"Implements":["VolumeDriver"]}"#))
        case "/VolumeDriver.Capabilities":
            return .immediate(DockerReply(body: #"{"Capabilities":{"Scope":"local"}}"#))
        case "/VolumeDriver.List":
            return .immediate(list())
        case "/VolumeDriver.Get":
            return decode(DockerWire.Name.self, body) { request in
                // A mounted network or FUSE volume is probed for health, which may
                // wait on its server: off the event loop. Everything else is memory.
                if let snapshot = volumes.get(request.Name), snapshot.isMounted, snapshot.type != .disk {
                    return .offloaded { get(request.Name) }
                }
                return .immediate(get(request.Name))
            }
        case "/VolumeDriver.Path":
            return decode(DockerWire.Name.self, body) { request in
                guard let snapshot = volumes.get(request.Name) else { return .immediate(.error("no such volume: \(printable(request.Name))")) }
                return .immediate(DockerReply(body: #"{"Mountpoint":"# + JSONText.string(snapshot.isMounted ? snapshot.mountpoint : "") + #","Err":""}"#))
            }
        case "/VolumeDriver.Create":
            return decode(DockerWire.Create.self, body) { request in
                .serialised(name: request.Name, lane: { .metadata }) {
                    perform {
                        try volumes.create(request.Name, options: DockerVolumeOptions.moorOptions(name: request.Name, given: request.Opts ?? [:]))
                    }
                }
            }
        case "/VolumeDriver.Remove":
            return decode(DockerWire.Name.self, body) { request in
                .serialised(name: request.Name, lane: { volumes.removeMayWaitOnServer(request.Name) ? .backend : .metadata }) {
                    perform { try volumes.remove(request.Name) }
                }
            }
        case "/VolumeDriver.Mount":
            return decode(DockerWire.Mount.self, body) { request in
                .serialised(name: request.Name, lane: { .backend }) {
                    do {
                        let path = try volumes.mount(request.Name, id: request.ID)
                        return DockerReply(body: #"{"Mountpoint":"# + JSONText.string(path) + #","Err":""}"#)
                    } catch {
                        return .error(MoorError.from(error).message)
                    }
                }
            }
        case "/VolumeDriver.Unmount":
            return decode(DockerWire.Mount.self, body) { request in
                .serialised(name: request.Name, lane: { .backend }) { perform { try volumes.unmount(request.Name, id: request.ID) } }
            }
        case "/Moor.Reconcile":
            return decode(DockerWire.Reconcile.self, body) { request in
                .serialised(name: "/reconcile", lane: { .backend }) {
                    do {
                        let released = try volumes.reconcile(inUse: Set(request.InUse))
                        return DockerReply(body: #"{"Released":["# + released.map(JSONText.string).joined(separator: ",") + #"],"Err":""}"#)
                    } catch {
                        return .error(MoorError.from(error).message)
                    }
                }
            }
        default:
            return .immediate(.error("unknown endpoint \(printable(path)): moor implements /Plugin.Activate and /VolumeDriver.*", status: 404))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], _ then: (T) -> Route) -> Route {
        guard let request = try? Self.decoder.decode(T.self, from: Data(body)) else {
            let what = body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) ? "an empty body" : "a malformed JSON body"
            return .immediate(.error("\(what): expected \(Self.shape(of: type))", status: 400))
        }
        return then(request)
    }

    static func shape<T>(of type: T.Type) -> String {
        switch type {
        case is DockerWire.Create.Type: return #"{"Name":..., "Opts":{...}}"#
        case is DockerWire.Mount.Type: return #"{"Name":..., "ID":...}"#
        default: return #"{"Name":...}"#
        }
    }

    private func perform(_ body: () throws -> Void) -> DockerReply {
        do {
            try body()
            return .empty
        } catch {
            return .error(MoorError.from(error).message)
        }
    }

    private func printable(_ text: String) -> String { OptionError.printable(text) }

    // MARK: reads

    func list() -> DockerReply {
        let generation = volumes.generation
        if let cached = listCache.withLockedValue({ $0 }), cached.generation == generation {
            return DockerReply(body: cached.body)
        }
        let entries = volumes.list().map { snapshot in
            JSONText.object([("Name", JSONText.string(snapshot.record.name)), ("Mountpoint", JSONText.string(snapshot.mountpoint)),
                             ("CreatedAt", JSONText.string(snapshot.record.createdAt))])
        }
        let body = #"{"Volumes":["# + entries.joined(separator: ",") + #"],"Err":""}"#
        listCache.withLockedValue { $0 = (generation, body) }
        return DockerReply(body: body)
    }

    /// Never an error for a volume that exists: dockerd forgets a volume
    /// whose Get fails. Health and capacity go in Status.
    func get(_ name: String) -> DockerReply {
        let generation = volumes.generation
        let cached = getCache.withLockedValue { cache in cache.generation == generation ? cache.bodies[name] : nil }
        guard let entry = cached ?? encodeGet(name, generation: generation) else {
            return .error("no such volume: \(printable(name))")
        }
        var body = entry.head
        // statvfs of a local disk's mount is cheap and cannot hang; network
        // backends will report a cached capacity instead.
        if let mountpoint = entry.mountpoint, let info = try? Sys.statvfs(mountpoint) {
            let block = UInt64(info.f_frsize)
            body += #","capacityBytes":"# + String(UInt64(info.f_blocks) * block)
            body += #","availableBytes":"# + String(UInt64(info.f_bavail) * block)
        }
        if let mountpoint = entry.probed {
            let problem = Health.probe(mountpoint, within: .seconds(2))
            body += #","healthy":"# + (problem == nil ? "true" : "false")
            if let problem { body += #","error":"# + JSONText.string("\(problem)") }
        }
        return DockerReply(body: body + #"}},"Err":""}"#)
    }

    private func encodeGet(_ name: String, generation: UInt64) -> CachedGet? {
        guard let snapshot = volumes.get(name) else { return nil }
        var status: [(String, String)] = [
            ("backend", JSONText.string(snapshot.type.rawValue)),
            ("mounted", snapshot.isMounted ? "true" : "false"),
            ("refs", String(snapshot.record.references)),
        ]
        if snapshot.type == .bind, let path = snapshot.record.options["path"] {
            status.append(("hostPath", JSONText.string(path)))
        } else if let device = snapshot.record.options["device"] {
            status.append(("device", JSONText.string(device)))
        } else if snapshot.type == .disk {
            status.append(("size", JSONText.string(snapshot.record.options["size"] ?? "10G")))
        }
        let statusText = JSONText.object(status)
        let head = #"{"Volume":{"Name":"# + JSONText.string(snapshot.record.name) + #","Mountpoint":"# + JSONText.string(snapshot.mountpoint)
            + #","CreatedAt":"# + JSONText.string(snapshot.record.createdAt) + #","Status":"# + statusText.dropLast()
        let entry = CachedGet(head: head, mountpoint: snapshot.isMounted && snapshot.type == .disk ? snapshot.mountpoint : nil,
                              probed: snapshot.isMounted && snapshot.type != .disk ? snapshot.mountpoint : nil)
        getCache.withLockedValue { cache in
            if cache.generation != generation { cache = (generation, [:]) }
            cache.bodies[name] = entry
        }
        return entry
    }
}
