import OutpostCLICore
import OutpostPackage
import OutpostRuntime

/// `outpost-dev keys generate`: an Ed25519 key pair for signing packages.
enum KeysCommand {
    static let spec = CommandSpec(
        name: "outpost-dev keys generate",
        usage: "outpost-dev keys generate --out PREFIX",
        summary: "Generate an Ed25519 signing key pair: PREFIX.key (private, mode 0600, never overwritten) and PREFIX.pub (public; give it to devices with --trusted-key). Both are one text line: 'outpost-ed25519-private|public <64 hex digits>'.",
        options: [("--out PREFIX", "Path prefix of the two files.")],
        flags: [])

    static let help = """
    OVERVIEW: Manage package signing keys.

    USAGE: outpost-dev keys <subcommand>

    SUBCOMMANDS:
      generate       Generate an Ed25519 key pair (PREFIX.key, PREFIX.pub).
    """

    static func main(_ args: [String]) throws(OutpostError) -> Int {
        guard let sub = args.first else { Console.error(help); return 2 }
        switch sub {
        case "-h", "--help", "help": Console.out(help); return 0
        case "generate": return try generate(Array(args.dropFirst()))
        default: throw .usage("unknown subcommand 'keys \(sub)' (see 'outpost-dev keys --help')")
        }
    }

    static func generate(_ args: [String]) throws(OutpostError) -> Int {
        let a = try parseArguments(args, spec)
        if a.wantsHelp { Console.out(spec.help); return 0 }
        guard a.positionals.isEmpty else { throw .usage("unexpected argument '\(a.positionals[0])' (see 'outpost-dev keys generate --help')") }
        guard let prefix = a.value("--out"), !prefix.isEmpty else { throw .usage("give the key file prefix with --out PREFIX") }
        do {
            let key = try PrivateKey.generate()
            try key.write(prefix: prefix)
            Console.out("wrote \(prefix).key (private, mode 0600) and \(prefix).pub")
            Console.out("key id \(key.publicKey.keyID)")
        } catch {
            Console.error("error: \(error.description)")
            return 1
        }
        return 0
    }
}
