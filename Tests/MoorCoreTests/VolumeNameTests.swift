import Testing
@testable import MoorCore

@Suite struct VolumeNameTests {
    @Test(arguments: ["a", "pv-0001", "Data_1.img", "9lives", String(repeating: "x", count: VolumeName.maxLength)])
    func safeNamesAreAccepted(text: String) {
        #expect(VolumeName(text)?.rawValue == text)
        #expect(VolumeName(text)?.description == text)
    }

    @Test(arguments: ["", ".", "..", ".hidden", "-x", "_x", "a/b", "a b", "a\u{0}b", "café", "a:b",
                      String(repeating: "x", count: VolumeName.maxLength + 1)])
    func unsafeNamesAreRefused(text: String) {
        #expect(VolumeName(text) == nil)
    }

    @Test func maximumLengthLeavesRoomForTheImageSuffix() {
        // `<name>.img` must fit NAME_MAX (255 bytes).
        #expect(VolumeName.maxLength + ".img".utf8.count <= 255)
        #expect(VolumeName.rule.contains("\(VolumeName.maxLength)"))
    }

    @Test func namesSortByTheirText() throws {
        let names = try ["b", "a", "c"].map { try #require(VolumeName($0)) }.sorted()
        #expect(names.map(\.rawValue) == ["a", "b", "c"])
    }
}
