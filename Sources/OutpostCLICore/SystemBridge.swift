import COutpostSystem
import OutpostRuntime

@inline(__always) func op_parse_double_bridge(_ s: UnsafePointer<CChar>, _ out: inout Double) -> Bool {
    op_parse_double(s, &out) == 1
}

/// Small file-system helpers over COutpostSystem for the CLI.
package enum FileSystem {
    package static func isDirectory(_ path: String) -> Bool { path.withCString { op_is_directory($0) } == 1 }
    package static func exists(_ path: String) -> Bool { path.withCString { op_path_exists($0) } == 1 }

    package static func makeDirectories(_ path: String) throws(OutpostError) {
        let err = path.withCString { op_make_directories($0) }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
    }

    /// Names in a directory, sorted bytewise.
    package static func list(_ path: String) throws(OutpostError) -> [String] {
        var names: UnsafeMutablePointer<CChar>?
        var bytes = 0
        var count = 0
        let err = path.withCString { op_list_directory($0, &names, &bytes, &count) }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
        defer { op_free(names) }
        var out = [String]()
        var p = names!
        for _ in 0..<count {
            let s = String(cString: p)
            out.append(s)
            p += s.utf8.count + 1
        }
        return out
    }

    package static func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }

    package static func basename(_ path: String) -> String {
        var p = path
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
        return p
    }

    package static func writeText(_ text: String, to path: String) throws(OutpostError) {
        let bytes = Array(text.utf8)
        let err = path.withCString { cpath in bytes.withUnsafeBufferPointer { op_write_file_atomic(cpath, $0.baseAddress, $0.count) } }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
    }
}

package enum Clock {
    package static func nowNanos() -> UInt64 { op_monotonic_ns() }
    package static func millis(since start: UInt64) -> Double { Double(op_monotonic_ns() - start) / 1e6 }
}

extension String {
    /// Substring search on UTF-8 bytes (the stdlib's `contains(_: String)` needs
    /// Foundation or _StringProcessing, which Embedded Swift lacks).
    package func hasSubstring(_ needle: String) -> Bool {
        let h = Array(utf8), n = Array(needle.utf8)
        if n.isEmpty { return true }
        if n.count > h.count { return false }
        for i in 0...(h.count - n.count) {
            var j = 0
            while j < n.count && h[i + j] == n[j] { j += 1 }
            if j == n.count { return true }
        }
        return false
    }
}
