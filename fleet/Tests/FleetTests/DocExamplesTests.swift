import Foundation
import OutpostProtocol
import Testing

/// Every ```json <Type> example in docs/sync-protocol.md decodes with the shared
/// wire type and re-encodes to the same text.
@Suite struct DocExamplesTests {
    static func examples() throws -> [(type: String, json: String)] {
        let text = try String(contentsOfFile: Fixture.root.appendingPathComponent("docs/sync-protocol.md").path, encoding: .utf8)
        var out = [(String, String)]()
        var current: String?
        var body = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let type = current {
                if line == "```" { out.append((type, body.trimmingCharacters(in: .whitespacesAndNewlines))); current = nil; body = "" }
                else { body += line + "\n" }
            } else if line.hasPrefix("```json ") {
                current = String(line.dropFirst(8))
            }
        }
        return out
    }

    func roundTrip<T: WireMessage>(_ type: T.Type, _ json: String) throws -> String { try T.decode(json).encoded() }

    @Test func examplesDecodeAndRoundTrip() throws {
        let all = try Self.examples()
        #expect(all.count == 10)
        for (type, json) in all {
            let again: String
            switch type {
            case "EnrollRequest": again = try roundTrip(EnrollRequest.self, json)
            case "EnrollResponse": again = try roundTrip(EnrollResponse.self, json)
            case "CheckInRequest": again = try roundTrip(CheckInRequest.self, json)
            case "CheckInResponse": again = try roundTrip(CheckInResponse.self, json)
            case "DeploymentEventBatch": again = try roundTrip(DeploymentEventBatch.self, json)
            case "EventAck": again = try roundTrip(EventAck.self, json)
            case "TelemetryBatch": again = try roundTrip(TelemetryBatch.self, json)
            case "TelemetryAck": again = try roundTrip(TelemetryAck.self, json)
            case "DriftUpload": again = try roundTrip(DriftUpload.self, json)
            case "DriftAck": again = try roundTrip(DriftAck.self, json)
            default: Issue.record("unknown example type \(type)"); continue
            }
            #expect(again == json, "\(type)")
        }
    }
}
