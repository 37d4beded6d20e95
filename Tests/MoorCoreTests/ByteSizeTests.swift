import Testing
@testable import MoorCore

@Suite struct ByteSizeTests {
    static let valid: [(String, UInt64)] = [
        ("64M", UInt64(64) << 20), ("10G", UInt64(10) << 30), ("512Mi", UInt64(512) << 20), ("1Ti", UInt64(1) << 40),
        ("1073741824", UInt64(1_073_741_824)), ("64m", UInt64(64) << 20), ("10g", UInt64(10) << 30),
        ("512mi", UInt64(512) << 20), ("2gi", UInt64(2) << 30), ("1t", UInt64(1) << 40), ("4k", UInt64(4096)),
        ("4Ki", UInt64(4096)), ("4KB", UInt64(4096)), ("100b", UInt64(100)), ("0", UInt64(0)),
        ("0010G", UInt64(10) << 30),
    ]

    @Test(arguments: valid)
    func sizesUsePowersOf1024(text: String, bytes: UInt64) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "abc", "M", "-5M", "+5M", "1.5G", "10Q", "10P", "10 G", " 10G", "10GiB", "1e9", "٣M",
                      "0x10", "10Gi ", "12345678901234567"])
    func malformedSizesAreNil(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test(arguments: ["16777216T", "17179869184G", "9999999999999999T", "17592186044416M"])
    func overflowIsNil(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func largestUnitValueBelowOverflowParses() {
        #expect(ByteSize.parse("16777215T") == UInt64(16_777_215) << 40)
    }

    @Test func boundsAreOneMebibyteAndOnePebibyte() {
        #expect(ByteSize.minimum == 1_048_576)
        #expect(ByteSize.maximum == 1_125_899_906_842_624)
    }
}
