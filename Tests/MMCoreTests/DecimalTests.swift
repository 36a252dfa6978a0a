import MMCore
import PropertyBased
import Testing

@Suite("Decimal parsing and printing")
struct DecimalTests {
    @Test("valid decimals parse exactly", arguments: [
        ("0", Int64(0)), ("1", 100_000_000), ("63943.90", 6_394_390_000_000), ("0.001", 100_000),
        ("0.00000001", 1), ("-1.5", -150_000_000), ("-0", 0), ("569.567", 56_956_700_000),
        ("92233720368.54775807", Int64.max), ("0.100000000000", 10_000_000), ("007.50", 750_000_000),
    ])
    func valid(text: String, raw: Int64) throws {
        #expect(try DecimalCodec.parse(text) == raw)
    }

    @Test("bad numbers are clear errors", arguments: [
        ("", DecimalError.empty),
        ("1e5", .unexpectedByte(UInt8(ascii: "e"), offset: 1)),
        ("--1", .missingDigits(offset: 1)),
        ("-", .missingDigits(offset: 1)),
        ("+1", .missingDigits(offset: 0)),
        (".5", .missingDigits(offset: 0)),
        ("1.", .missingDigits(offset: 2)),
        ("1.123456789", .tooManyFractionDigits),
        ("92233720368.54775808", .overflow),
        ("100000000000", .overflow),
        ("99999999999999999999999", .overflow),
        ("12a", .unexpectedByte(UInt8(ascii: "a"), offset: 2)),
        ("1 ", .unexpectedByte(0x20, offset: 1)),
        ("1.2.3", .unexpectedByte(UInt8(ascii: "."), offset: 3)),
        ("NaN", .missingDigits(offset: 0)),
    ])
    func invalid(text: String, error: DecimalError) {
        #expect(throws: error) { try DecimalCodec.parse(text) }
    }

    @Test func errorMessagesNameTheProblem() {
        #expect(DecimalError.unexpectedByte(UInt8(ascii: "e"), offset: 1).description.contains("exponent"))
        #expect(DecimalError.tooManyFractionDigits.description.contains("8"))
        #expect(Price("1e5") == nil)
    }

    @Test("printing is exact", arguments: [
        (Int64(6_394_390_000_000), 0, "63943.9"), (6_394_390_000_000, 2, "63943.90"), (1, 0, "0.00000001"),
        (-150_000_000, 0, "-1.5"), (0, 0, "0"), (0, 2, "0.00"), (Int64.max, 0, "92233720368.54775807"),
        (-Int64.max, 0, "-92233720368.54775807"), (100_000, 3, "0.001"),
    ])
    func printing(raw: Int64, minFraction: Int, text: String) {
        #expect(DecimalCodec.format(raw, minFractionDigits: minFraction) == text)
    }

    @Test func roundTripProperty() async throws {
        await propertyCheck(count: 2000, input: Gen.int64(in: -Int64.max...Int64.max)) { raw in
            let text = DecimalCodec.format(raw)
            let parsed = try DecimalCodec.parse(text)
            #expect(parsed == raw)
            for pad in [2, 8] {
                let padded = try DecimalCodec.parse(DecimalCodec.format(raw, minFractionDigits: pad))
                #expect(padded == raw)
            }
        }
    }

    @Test func parsingMatchesDigitArithmetic() async throws {
        // Text built from digits must parse to integer part × 1e8 + fraction scaled by its length.
        await propertyCheck(
            count: 2000, input: Gen.int64(in: 0...99_999_999_999), Gen.int64(in: 0...99_999_999), Gen.int(in: 0...8)
        ) { whole, frac, digits in
            let f = frac % Int64(pow10(digits))
            var text = String(whole)
            if digits > 0 {
                let s = String(f)
                text += "." + String(repeating: "0", count: digits - s.count) + s
            }
            let expected = whole.multipliedReportingOverflow(by: 100_000_000)
            let total = expected.partialValue.addingReportingOverflow(f * Int64(pow10(8 - digits)))
            if expected.overflow || total.overflow {
                #expect(throws: DecimalError.overflow) { try DecimalCodec.parse(text) }
            } else {
                let parsed = try DecimalCodec.parse(text)
                #expect(parsed == total.partialValue)
            }
        }
    }

    @Test func orderingMatchesNumericOrder() async throws {
        await propertyCheck(count: 2000, input: Gen.int64(in: -1_000_000_000_000...1_000_000_000_000), Gen.int64(in: -1_000_000_000_000...1_000_000_000_000)) { a, b in
            let pa = try Price(parsing: DecimalCodec.format(a))
            let pb = try Price(parsing: DecimalCodec.format(b))
            #expect((pa < pb) == (a < b))
            #expect((pa == pb) == (a == b))
            #expect((pa + pb).raw == a + b)
        }
    }

    func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}
