import OutpostRuntime

/// A command's declared options, and the parser that checks a command line against them.
/// Conventions follow swift-argument-parser: `--name value` or `--name=value`,
/// repeatable options, flags without values, `--help`/`-h` anywhere.
package struct CommandSpec {
    /// The command as typed, program included: "outpost run", "outpost-dev conformance".
    package let name: String
    package let usage: String
    package let summary: String
    /// Options taking a value, with their help line.
    package let options: [(name: String, help: String)]
    /// Flags (no value), with their help line.
    package let flags: [(name: String, help: String)]

    package init(name: String, usage: String, summary: String, options: [(name: String, help: String)], flags: [(name: String, help: String)]) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.options = options
        self.flags = flags
    }

    package var help: String {
        var s = String(outlined: "OVERVIEW: \(summary)\n\nUSAGE: \(usage)\n")
        if !options.isEmpty || !flags.isEmpty {
            s += "\nOPTIONS:\n"
            for o in options { s += "  " + Format.pad(o.name, 28) + o.help + "\n" }
            for f in flags { s += "  " + Format.pad(f.name, 28) + f.help + "\n" }
        }
        s += "  " + Format.pad("-h, --help", 28) + "Show help information."
        return s
    }
}

package struct ParsedArguments {
    package var positionals: [String] = []
    package var values: [String: [String]] = [:]
    package var flags: Set<String> = []
    package var wantsHelp = false

    package func value(_ name: String) -> String? { values[name]?.last }
    package func all(_ name: String) -> [String] { values[name] ?? [] }
    package func has(_ flag: String) -> Bool { flags.contains(flag) }

    package func int(_ name: String, default d: Int, min lower: Int = Int.min) throws(OutpostError) -> Int {
        guard let v = value(name) else { return d }
        guard let n = Int(v), n >= lower else {
            throw .usage(String(outlined: "\(name) expects a whole number\(lower > Int.min ? " ≥ \(lower)" : ""), got '\(v)'"))
        }
        return n
    }

    package func double(_ name: String, default d: Double) throws(OutpostError) -> Double {
        guard let v = value(name) else { return d }
        guard let n = parseDouble(v) else { throw .usage(String(outlined: "\(name) expects a number, got '\(v)'")) }
        return n
    }
}

package func parseArguments(_ args: [String], _ spec: CommandSpec) throws(OutpostError) -> ParsedArguments {
    var result = ParsedArguments()
    var i = 0
    var onlyPositionals = false
    while i < args.count {
        let arg = args[i]
        i += 1
        if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
            result.positionals.append(arg)
            continue
        }
        if arg == "--" { onlyPositionals = true; continue }
        if arg == "-h" || arg == "--help" { result.wantsHelp = true; continue }
        var name = arg
        var inlineValue: String?
        if let eq = arg.firstIndex(of: "=") {
            name = String(arg[arg.startIndex..<eq])
            inlineValue = String(arg[arg.index(after: eq)...])
        }
        if spec.options.contains(where: { $0.name.hasPrefix(name + " ") || $0.name == name }) {
            if let v = inlineValue {
                result.values[name, default: []].append(v)
            } else {
                guard i < args.count else { throw .usage(String(outlined: "\(name) needs a value (see '\(spec.name) --help')")) }
                result.values[name, default: []].append(args[i])
                i += 1
            }
        } else if spec.flags.contains(where: { $0.name == name }) {
            result.flags.insert(name)
        } else {
            throw .usage(String(outlined: "unknown option '\(name)' for '\(spec.name)' (see '\(spec.name) --help')"))
        }
    }
    return result
}

/// Strict decimal parsing through strtod (whole string must be a number).
package func parseDouble(_ s: String) -> Double? {
    var out = 0.0
    let ok = s.withCString { op_parse_double_bridge($0, &out) }
    return ok ? out : nil
}
