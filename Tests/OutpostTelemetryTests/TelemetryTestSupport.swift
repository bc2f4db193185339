import Foundation
import Glibc
import OutpostTelemetry

enum TestSupport {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func tempDir(_ tag: String = "telemetry") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("outpost-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func inference(_ i: Int, model: String = "mobilenet") -> InferenceRecord {
        InferenceRecord(timeMs: 1_764_300_000_000 + Int64(i), model: model, version: "1.2.\(i % 7)",
                        latencyMicros: Int64(1800 + i % 300), status: i % 50 == 0 ? 3 : 0,
                        topClass: Int32(i % 100), score: Double(i % 1000) / 1000)
    }

    /// The test-only writer executable (built with the tests: the test target depends on it).
    static var writerBinary: String? {
        var candidates = [String]()
        if let b = ProcessInfo.processInfo.environment["OUTPOST_TELEMETRY_WRITER"] { candidates.append(b) }
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.appendingPathComponent("outpost-telemetry-writer").path)
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("outpost-telemetry-writer").path)
        for arg in CommandLine.arguments.prefix(1) {
            candidates.append(URL(fileURLWithPath: arg).deletingLastPathComponent().appendingPathComponent("outpost-telemetry-writer").path)
        }
        for config in ["debug", "release"] {
            candidates.append(root.appendingPathComponent(".build/\(config)/outpost-telemetry-writer").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Mounts a small tmpfs (root only); nil when this environment cannot.
    static func mountTmpfs(bytes: Int, readOnly: Bool = false) -> URL? {
        guard getuid() == 0, let dir = try? tempDir("tmpfs") else { return nil }
        func sh(_ args: [String]) -> Bool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/mount")
            p.arguments = args
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        guard sh(["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", dir.path]) else { return nil }
        return dir
    }

    static func remountReadOnly(_ dir: URL) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-o", "remount,ro", dir.path]
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    static func unmount(_ dir: URL) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/umount")
        p.arguments = [dir.path]
        try? p.run()
        p.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }
}
