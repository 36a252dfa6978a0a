@testable import MMCore
import Testing

/// The one-load reader of short quoted decimals against the plain scan, on every integer length, fraction
/// length and shape, and with each byte of a number replaced by a non-digit.
@Suite struct SWARDecimalTests {
    /// What `quoted(_:in:)` must return for `text` (the bytes after the opening quote) in the short shape of
    /// `f` fraction digits: the value when it is 1–7 integer digits, a point, exactly `f` digits and the
    /// closing quote, the whole number at most eight bytes; otherwise nil.
    func expected(_ text: [UInt8], fractionDigits f: Int) -> Int64? {
        guard let close = text.firstIndex(of: UInt8(ascii: "\"")), close <= 8, let point = text.firstIndex(of: UInt8(ascii: ".")),
            point >= 1, point < close, close - point - 1 == f
        else { return nil }
        let digits = text[0..<close].filter { $0 != UInt8(ascii: ".") }
        guard digits.count == close - 1, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let scan = text.withUnsafeBufferPointer { b in try? DecimalCodec.scan(b.baseAddress!, b.baseAddress! + close) }
        return scan?.value
    }

    func read(_ text: [UInt8], fractionDigits f: Int) -> (value: Int64?, consumed: Int) {
        let padded = text + Array(repeating: UInt8(ascii: "x"), count: 16)
        return padded.withUnsafeBufferPointer { b in
            var p = b.baseAddress!
            let v = SWARDecimal.quoted(&p, in: SWARDecimal.Shape(fractionDigits: f))
            return (v, b.baseAddress!.distance(to: p))
        }
    }

    @Test func everyLengthAndShape() {
        let integers = ["", "0", "7", "12", "604", "6000", "60000", "600001", "6000012", "60000123"]
        for f in 1...6 {
            for integer in integers {
                for k in 0...7 {
                    for point in [true, false] {
                        let fraction = String("98765432".prefix(k))
                        let text = Array((integer + (point ? "." : "") + fraction + "\",\"").utf8)
                        let want = expected(text, fractionDigits: f)
                        let got = read(text, fractionDigits: f)
                        #expect(got.value == want, "\(String(decoding: text, as: UTF8.self)) in \(f) digits")
                        if want != nil { #expect(got.consumed == integer.count + 1 + k + 1) } else { #expect(got.consumed == 0) }
                    }
                }
            }
        }
    }

    @Test func aNonDigitAnywhereInTheNumberIsRefused() {
        for (text, f) in [("63943.90\"", 2), ("0.010\"", 3), ("1.5\"", 1), ("1234.567890\"", 6), ("9.123456\"", 6)] {
            let bytes = Array(text.utf8)
            #expect(read(bytes, fractionDigits: f).value == expected(bytes, fractionDigits: f))
            #expect(read(bytes, fractionDigits: f).value != nil || bytes.count > 9)
            for i in 0..<(bytes.count - 1) {
                for bad in [UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "\""), UInt8(ascii: "-"), 0x00, 0xB0] where bad != bytes[i] {
                    var corrupt = bytes
                    corrupt[i] = bad
                    #expect(read(corrupt, fractionDigits: f).value == expected(corrupt, fractionDigits: f), "\(corrupt)")
                }
            }
        }
    }

    @Test func longAndUnknownShapesReadNothingShort() {
        let text = Array("63943.90\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 16)
        for shape in [SWARDecimal.Shape.unknown, SWARDecimal.Shape(longFractionDigits: 2), SWARDecimal.Shape(longFractionDigits: 8)] {
            text.withUnsafeBufferPointer { b in
                var p = b.baseAddress!
                #expect(SWARDecimal.quoted(&p, in: shape) == nil)
                #expect(p == b.baseAddress!)
            }
        }
    }
}
