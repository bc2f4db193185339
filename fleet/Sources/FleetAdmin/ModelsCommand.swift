import ArgumentParser
import Foundation
import OutpostJSON

public struct ModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Upload signed packages and list models and versions.",
        subcommands: [Upload.self, List.self])
    public init() {}

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a signed package (.opkg): the server verifies it and runs its golden self-test.")
        @OptionGroup var connection: Connection
        @Argument(help: "The package file.") var file: String

        func run() async throws {
            let client = try connection.client()
            guard let bytes = FileManager.default.contents(atPath: file) else { throw AdminError("cannot read the package file \(file)") }
            let p = try await client.call("POST", "/v1/packages", body: bytes, contentType: "application/octet-stream")
            if connection.json { return Output.json(p) }
            Output.line("accepted \(Fmt.str(p["model"])) \(Fmt.str(p["version"])) (release \(Fmt.str(p["release"]))) \(Fmt.str(p["digest"]))")
            Output.line("  \(Fmt.str(p["size"])) bytes, key \(Fmt.str(p["key_id"])), golden self-test \(Fmt.str(p["golden_cases"])) case(s) passed, parent \(Fmt.str(p["parent_version"]))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models, or the versions of one model with their lineage.")
        @OptionGroup var connection: Connection
        @Argument(help: "A model name: list its versions.") var model: String?

        func run() async throws {
            let client = try connection.client()
            if let m = model {
                let r = try await client.call("GET", "/v1/models/" + segment(m))
                if connection.json { return Output.json(r) }
                Output.table(["VERSION", "RELEASE", "DIGEST", "PARENT", "CHILDREN", "GOLDEN", "UPLOADED"],
                             (r["versions"]?.arrayValue ?? []).map { v in
                                 [Fmt.str(v["version"]), Fmt.str(v["release"]), String(Fmt.str(v["digest"]).prefix(19)),
                                  Fmt.str(v["parent_version"]),
                                  (v["children"]?.arrayValue ?? []).map { Fmt.str($0) }.joined(separator: ",").ifEmpty("-"),
                                  Fmt.str(v["golden_cases"]), Fmt.time(v["uploaded_at"])]
                             })
            } else {
                let r = try await client.call("GET", "/v1/models")
                if connection.json { return Output.json(r) }
                Output.table(["MODEL", "VERSIONS", "LATEST RELEASE"], (r["models"]?.arrayValue ?? []).map {
                    [Fmt.str($0["model"]), Fmt.str($0["versions"]), Fmt.str($0["latest_release"])]
                })
            }
        }
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
