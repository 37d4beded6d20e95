#if canImport(Glibc)
import Glibc
#endif
import MoorCore

/// Byte-for-byte comparison of two files, read in chunks.
enum FileComparison {
    static func sameContent(_ a: String, _ b: String) -> Bool {
        guard let sa = try? Sys.stat(a), let sb = try? Sys.stat(b), sa.st_size == sb.st_size,
              let fa = try? Sys.open(a, O_RDONLY | O_CLOEXEC) else { return false }
        defer { Sys.close(fa) }
        guard let fb = try? Sys.open(b, O_RDONLY | O_CLOEXEC) else { return false }
        defer { Sys.close(fb) }
        var bufferA = [UInt8](repeating: 0, count: 1 << 20), bufferB = bufferA
        while true {
            let na = readFull(fa, &bufferA), nb = readFull(fb, &bufferB)
            guard na == nb, na >= 0 else { return false }
            if na == 0 { return true }
            guard bufferA[0..<na] == bufferB[0..<nb] else { return false }
        }
    }

    /// Reads until the buffer is full or the file ends; -1 on error.
    private static func readFull(_ fd: Int32, _ buffer: inout [UInt8]) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 { if errno == EINTR { continue }; return -1 }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    static func sizeNote(_ installed: String, _ own: String) -> String {
        let a = (try? Sys.stat(installed)).map { Int($0.st_size) } ?? -1, b = (try? Sys.stat(own)).map { Int($0.st_size) } ?? -1
        return a == b ? "same size, other content" : "\(a) bytes installed, \(b) bytes here"
    }
}
