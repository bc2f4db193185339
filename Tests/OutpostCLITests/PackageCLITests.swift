import Foundation
import Testing

/// keys → package build (outpost-dev) → verify → inspect → run/bench (outpost), through
/// the real binaries.
@Suite struct PackageCLITests {
    let cli = CLITests()

    func outpost(_ args: [String], env: [String: String] = [:]) throws -> CLITests.Result {
        try cli.run(CLITests.binary, args, env: env)
    }

    func outpostDev(_ args: [String], env: [String: String] = [:]) throws -> CLITests.Result {
        try cli.run(CLITests.devBinary, args, env: env)
    }

    @Test func keysBuildVerifyInspectRun() throws {
        let dir = try cli.tempDir()
        let signer = dir.appendingPathComponent("signer").path
        let other = dir.appendingPathComponent("other").path
        let pkg = dir.appendingPathComponent("tiny.opkg").path

        let k = try outpostDev(["keys", "generate", "--out", signer])
        #expect(k.status == 0, "\(k.stderr)")
        #expect(k.stdout.contains("key id "))
        let mode = try FileManager.default.attributesOfItem(atPath: signer + ".key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: signer + ".key", encoding: .utf8).hasPrefix("outpost-ed25519-private "))
        // Refuses to overwrite a key.
        let again = try outpostDev(["keys", "generate", "--out", signer])
        #expect(again.status == 1 && again.stderr.contains("exists"))
        #expect(try outpostDev(["keys", "generate", "--out", other]).status == 0)

        let b = try outpostDev(["package", "build", "--model", "models/tiny/model.onnx", "--name", "tiny", "--version", "1.4.0",
                             "--release", "7", "--reference-data", "models/tiny", "--key", signer + ".key",
                             "--lineage", "parent_version=1.3.2", "--lineage", "metric.accuracy=0.91",
                             "--lineage", "training_data=s3://bucket/colours", "--lineage", "team=vision", "-o", pkg])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("wrote \(pkg)"))
        #expect(b.stdout.contains("1 golden case(s)"))

        let v = try outpost(["package", "verify", pkg, "--trusted-key", signer + ".pub", "--min-release", "7"])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        for step in ["container:", "signature:", "manifest:", "release: 7", "requirements:", "blob model.onnx", "blob golden", "golden self-test"] {
            #expect(v.stdout.contains("ok  " + step), "verify prints \(step)")
        }
        #expect(v.stdout.contains("verified: tiny 1.4.0 release 7"))
        // libcrypto is opened on first use (dlopen): without it, package checks fail with
        // an error naming the library, and plain models run without ever loading it.
        let missing = ["OUTPOST_LIBCRYPTO": "/nonexistent/libcrypto.so.3"]
        let noLib = try outpost(["package", "verify", pkg, "--trusted-key", signer + ".pub"], env: missing)
        #expect(noLib.status == 1 && noLib.stderr.contains("cannot load the OpenSSL library /nonexistent/libcrypto.so.3"),
                "\(noLib.stdout)\(noLib.stderr)")
        let noLibKeys = try outpostDev(["keys", "generate", "--out", dir.appendingPathComponent("nolib").path], env: missing)
        #expect(noLibKeys.status == 1 && noLibKeys.stderr.contains("/nonexistent/libcrypto.so.3"), "\(noLibKeys.stderr)")
        let plain = try outpost(["run", "models/tiny/model.onnx", "--input-dir", "models/tiny/test_data_set_0"], env: missing)
        #expect(plain.status == 0, "\(plain.stderr)")

        let i = try outpost(["package", "inspect", pkg, "--trusted-key", signer + ".pub"])
        #expect(i.status == 0, "\(i.stderr)")
        for line in ["name: tiny", "version: 1.4.0", "release: 7", "signature: valid", "parent version: 1.3.2",
                     "metric accuracy = 0.91", "team = vision", "input: float32[1, 3, 32, 32]", "probabilities.class",
                     "golden cases: 1", "model.onnx", "sha256 "] {
            #expect(i.stdout.contains(line), "inspect shows \(line)")
        }
        let unchecked = try outpost(["package", "inspect", pkg])
        #expect(unchecked.status == 0 && unchecked.stdout.contains("not checked"))
        let json = try outpost(["package", "inspect", pkg, "--json"])
        #expect(json.status == 0 && json.stdout.hasPrefix("{\"format\":\"outpost-package-manifest\""))

        let r = try outpost(["run", pkg, "--trusted-key", signer + ".pub", "--input-dir", "models/tiny/test_data_set_0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("probabilities: float32[1, 3]  top: #0=0.9024"))
        let viaEnv = try outpost(["bench", pkg, "--iterations", "3", "--warmup", "1", "--json"], env: ["OUTPOST_TRUSTED_KEYS": signer + ".pub"])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        #expect(viaEnv.stdout.contains("\"median_ms\""))

        // monitor takes the drift baseline from the package manifest.
        let mon = try outpost(["monitor", pkg, "--trusted-key", signer + ".pub", "--input-dir", "models/tiny", "--window", "1"])
        #expect(mon.status == 0, "\(mon.stderr)")
        #expect(mon.stdout.contains("8 features") && mon.stdout.contains("probabilities.class"))

        // Refusals: no key (usage, 2), another publisher's key, rollback, tampering (1).
        let noKey = try outpost(["run", pkg, "--input-dir", "models/tiny/test_data_set_0"], env: ["OUTPOST_TRUSTED_KEYS": ""])
        #expect(noKey.status == 2 && noKey.stderr.contains("--trusted-key"))
        let wrong = try outpost(["package", "verify", pkg, "--trusted-key", other + ".pub"])
        #expect(wrong.status == 1 && wrong.stderr.contains("unknown key"))
        let wrongRun = try outpost(["run", pkg, "--trusted-key", other + ".pub", "--input-dir", "models/tiny/test_data_set_0"])
        #expect(wrongRun.status == 1 && wrongRun.stderr.contains("package refused"))
        let rollback = try outpost(["package", "verify", pkg, "--trusted-key", signer + ".pub", "--min-release", "8"])
        #expect(rollback.status == 1 && rollback.stderr.contains("anti-rollback"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: pkg))
        bytes[bytes.count - 10] ^= 0xff
        let tampered = dir.appendingPathComponent("tampered.opkg").path
        try bytes.write(to: URL(fileURLWithPath: tampered))
        let t = try outpost(["package", "verify", tampered, "--trusted-key", signer + ".pub"])
        #expect(t.status == 1 && t.stderr.contains("is corrupt") && t.stdout.contains("FAILED"))
        let ti = try outpost(["package", "inspect", tampered, "--trusted-key", signer + ".pub"])
        #expect(ti.stdout.contains("does not match"))
    }

    @Test func packageUsageAndHelp() throws {
        let top = try outpost(["--help"])
        #expect(top.stdout.contains("package"))
        let dev = try outpostDev(["--help"])
        #expect(dev.stdout.contains("keys") && dev.stdout.contains("package"))
        for sub in ["verify", "inspect"] {
            let h = try outpost(["package", sub, "--help"])
            #expect(h.status == 0 && h.stdout.contains("USAGE: outpost package \(sub)"))
        }
        #expect(try outpostDev(["package", "build", "--help"]).stdout.contains("USAGE: outpost-dev package build"))
        #expect(try outpostDev(["keys", "generate", "--help"]).stdout.contains("USAGE: outpost-dev keys generate"))
        let missing = try outpostDev(["package", "build", "--model", "models/tiny/model.onnx"])
        #expect(missing.status == 2 && missing.stderr.contains("--name"))
        let badVersion = try outpostDev(["package", "build", "--model", "models/tiny/model.onnx", "--name", "x", "--version", "1.0",
                                      "--release", "1", "--reference-data", "models/tiny", "--key", "/nonexistent.key"])
        #expect(badVersion.status == 1)
        #expect(try outpost(["package", "frob"]).status == 2)
        #expect(try outpostDev(["package", "frob"]).status == 2)
        #expect(try outpost(["package", "verify", "models/tiny/model.onnx"]).status == 2)
        let notPkg = try outpost(["package", "verify", "models/tiny/model.onnx"], env: ["OUTPOST_TRUSTED_KEYS": "models/tiny/labels.txt"])
        #expect(notPkg.status == 1)
    }

    /// The README's command list names every subcommand, including the package ones.
    @Test func readmeListsThePackageCommands() throws {
        let readme = try String(contentsOf: CLITests.root.appendingPathComponent("README.md"), encoding: .utf8)
        // $dev is outpost-dev there, $outpost the device CLI.
        for cmd in ["$dev keys generate", "$dev package build", "$outpost package verify", "$outpost package inspect"] {
            #expect(readme.contains(cmd), "README shows \(cmd)")
        }
    }
}
