import Testing
import Foundation
@testable import OutpostJSON

@Suite struct JSONReaderTests {
    @Test func parsesAllValueKinds() throws {
        let v = try JSONReader.parse(#" { "a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}, "e": "" } "#)
        #expect(v["a"] == .array([.number(1), .number(-2.5), .number(300), .bool(true), .bool(false), .null]))
        #expect(v["b"]?["c"]?.stringValue == "d")
        #expect(v["e"]?.stringValue == "")
        #expect(v["missing"] == nil)
        #expect(v.objectValue?.map { $0.key } == ["a", "b", "e"])
    }

    @Test func keepsMemberOrderWhenSerializing() throws {
        let text = #"{"z":1,"a":[true,null,"x"],"m":{"q":-0.5,"b":{}},"e":[]}"#
        let v = try JSONReader.parse(text)
        #expect(v.serialized() == text)
    }

    @Test func accessors() throws {
        #expect(JSONValue.number(3).intValue == 3)
        #expect(JSONValue.number(-7).intValue == -7)
        #expect(JSONValue.number(3.5).intValue == nil)
        #expect(JSONValue.number(1e19).intValue == nil)
        #expect(JSONValue.number(9.223372036854775808e18).intValue == nil)
        #expect(JSONValue.number(-9.223372036854775808e18).intValue == Int.min)
        #expect(JSONValue.string("3").intValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.null.boolValue == nil)
        #expect(JSONValue.number(2.5).doubleValue == 2.5)
        #expect(JSONValue.array([.null]).arrayValue == [.null])
        #expect(JSONValue.string("x")["k"] == nil)
    }

    @Test func doublesRoundTripExactly() throws {
        var state: UInt64 = 0x1234_5678
        var values: [Double] = [0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-300, 5e-324, 1.7976931348623157e308,
                                -123456.789, 9007199254740993.0, 1e22, 0.30000000000000004,
                                Double.pi, -Double.ulpOfOne, 123.0, -0.0, 4.35, 2.2250738585072014e-308]
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let d = Double(bitPattern: state)
            if d.isFinite { values.append(d) }
        }
        for d in values {
            let text = JSONValue.array([.number(d)]).serialized()
            let back = try JSONReader.parse(text)
            guard case .array(let items) = back, case .number(let e)? = items.first else {
                Issue.record("not a number array: \(text)"); continue
            }
            #expect(e == d && e.sign == d.sign, "\(d) -> \(text) -> \(e)")
        }
        // Shortest form is used where it suffices.
        #expect(JSONValue.number(0.1).serialized() == "0.1")
        #expect(JSONValue.number(1.5).serialized() == "1.5")
        #expect(JSONValue.number(100).serialized() == "100")
        #expect(JSONValue.number(-0.0).serialized() == "-0")
        #expect(JSONValue.number(.nan).serialized() == "null")
        #expect(JSONValue.number(.infinity).serialized() == "null")
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONReader.parse(#""\u0041\u00e9\u4e2d""#) == .string("Aé中"))
        #expect(try JSONReader.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONReader.parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        #expect(try JSONReader.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{c}\n\r\t"))
        #expect(try JSONReader.parse("\"raw é 😀 中\"") == .string("raw é 😀 中"))
        #expect(try JSONReader.parse(#""\u0000""#) == .string("\u{0}"))
        // Serialising escapes control characters and round-trips.
        let s = JSONValue.string("a\u{1}b\"c\\d\ne😀")
        #expect(try JSONReader.parse(s.serialized()) == s)
    }

    @Test func parsesFromBytes() throws {
        let data = Array(#"{"k":[1,2]}"#.utf8)
        let v = try data.withUnsafeBytes { try JSONReader.parse(bytes: $0) }
        #expect(v["k"] == .array([.number(1), .number(2)]))
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONReader.parse(ok)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let e = expectError(tooDeep)
        #expect(e?.offset == 64)
        #expect(e?.message.contains("nesting") == true)
        let objects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(expectError(objects)?.message.contains("nesting") == true)
        // Far deeper input fails fast instead of overflowing the stack.
        #expect(expectError(String(repeating: "[", count: 100_000)) != nil)
    }

    func expectError(_ text: String) -> JSONError? {
        do {
            _ = try JSONReader.parse(text)
            Issue.record("expected a parse error for \(text.prefix(60))")
            return nil
        } catch {
            return error
        }
    }

    func expectErrorBytes(_ bytes: [UInt8]) -> JSONError? {
        do {
            _ = try bytes.withUnsafeBytes { try JSONReader.parse(bytes: $0) }
            Issue.record("expected a parse error for bytes \(bytes)")
            return nil
        } catch {
            return error as? JSONError
        }
    }

    /// Every error names the byte offset where the problem was found.
    @Test(arguments: [
        ("", 0, "expected a value"),
        ("   ", 3, "expected a value"),
        ("[1,]", 3, "expected a value"),
        ("{\"a\":1,}", 7, "string key"),
        ("[1 2]", 3, "',' or ']'"),
        ("{\"a\" 1}", 5, "':'"),
        ("{\"a\":1 \"b\":2}", 7, "',' or '}'"),
        ("{\"a\":1,\"a\":2}", 7, "duplicate object key"),
        ("{1:2}", 1, "string key"),
        ("[1", 2, "end of input"),
        ("{\"a\":1", 6, "end of input"),
        ("\"abc", 4, "unterminated string"),
        ("\"a\u{1}b\"", 2, "control character"),
        ("\"\\x\"", 1, "invalid escape"),
        ("\"\\u12\"", 5, "hex digits"),
        ("\"\\ud800\"", 1, "low surrogate"),
        ("\"\\ud800\\u0041\"", 7, "low surrogate"),
        ("\"\\udc00\"", 1, "lone low surrogate"),
        ("01", 0, "leading zero"),
        ("-", 1, "digit"),
        ("1.", 2, "after '.'"),
        ("1e", 2, "exponent"),
        ("1e+", 3, "exponent"),
        (".5", 0, "expected a value"),
        ("+1", 0, "expected a value"),
        ("1e400", 0, "out of range"),
        ("NaN", 0, "expected a value"),
        ("tru", 0, "'true'"),
        ("nul", 0, "'null'"),
        ("falsey", 5, "end of document"),
        ("[1] x", 4, "end of document"),
        ("// c\n1", 0, "expected a value"),
        ("[1,/*c*/2]", 3, "expected a value"),
        ("'a'", 0, "expected a value"),
    ] as [(String, Int, String)])
    func errorsNameTheOffset(text: String, offset: Int, message: String) {
        guard let e = expectError(text) else { return }
        #expect(e.offset == offset, "\(text): \(e)")
        #expect(e.message.contains(message), "\(text): \(e)")
        #expect(e.description.contains("byte \(offset)"))
    }

    @Test func rejectsInvalidUTF8() {
        // Lone continuation, overlong, encoded surrogate, truncated, beyond U+10FFFF.
        for bad: [UInt8] in [[0x22, 0x80, 0x22], [0x22, 0xc0, 0xaf, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22],
                             [0x22, 0xe4, 0xb8], [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xff, 0x22]] {
            let e = expectErrorBytes(bad)
            #expect(e?.offset == 1, "\(bad): \(String(describing: e))")
            #expect(e?.message.contains("UTF-8") == true)
        }
    }

    @Test func whitespaceIsOnlyTheFourRFCCharacters() throws {
        #expect(try JSONReader.parse(" \t\r\n1 \t\r\n") == .number(1))
        #expect(expectError("\u{c}1")?.offset == 0)
        #expect(expectError("\u{a0}1")?.offset == 0)
    }
}
