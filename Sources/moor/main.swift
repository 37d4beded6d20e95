#if canImport(Glibc)
import Glibc
#endif
import Logging
import MoorCore
import MoorFlexVolume

// kubelet runs `moor <call> <args...>` and parses the combined stdout and
// stderr as one JSON object. So: the reply goes to a private copy of fd 1,
// and fds 1 and 2 are pointed at the log file, where any stray output of a
// library or the runtime lands instead of breaking kubelet's parse.

let arguments = Array(CommandLine.arguments.dropFirst())
let verb = arguments.first ?? ""

func emit(_ text: String, to fd: Int32) {
    let line = text + "\n"
    _ = line.withCString { write(fd, $0, strlen($0)) }
}

if verb == "init" {
    // The probe path: kubelet and the controller manager call it on every
    // plugin-dir event. No file, policy or logger is touched.
    emit(FlexVolumeReply.capabilities(.moor).json, to: 1)
    exit(0)
}

if verb == "migrate" {
    MigrateForwarder.exec(Array(arguments.dropFirst()))
}

if MoorTool.isHumanVerb(verb) {
    MoorTool.main(arguments)
    exit(0)
}

let replyFD = dup(1)
let logHandler = FileLogHandler.fromEnvironment(label: "moor")
var quiet = open(logHandler.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
if quiet < 0, let slash = logHandler.path.lastIndex(of: "/"), slash != logHandler.path.startIndex {
    try? Sys.mkdirs(String(logHandler.path[..<slash]), mode: 0o755)
    quiet = open(logHandler.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
}
let sink = quiet >= 0 ? quiet : open("/dev/null", O_WRONLY | O_CLOEXEC)
dup2(sink, 1)
dup2(sink, 2)

LoggingSystem.bootstrap { _ in logHandler }
var logger = Logger(label: "moor")
logger[metadataKey: "call"] = "\(verb)"
if arguments.count > 1 { logger[metadataKey: "dir"] = "\(arguments[1])" }

let driver = FlexVolumeDriver(makeCore: { try Core.fromEnvironment(logger: logger) })
let reply = driver.run(arguments)
if case .failure(let message) = reply { logger.warning("call failed", metadata: ["message": "\(message)"]) }
emit(reply.json, to: replyFD)
exit(0)
