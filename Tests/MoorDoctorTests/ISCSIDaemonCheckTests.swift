import Testing
@testable import MoorDoctor

struct ISCSIDaemonCheckTests {
    static let listing = """
        Num       RefCount Protocol Flags    Type St Inode Path
        0000000000000000: 00000002 00000000 00010000 0001 01 20415 @ISCSIADM_ABSTRACT_NAMESPACE
        0000000000000000: 00000003 00000000 00000000 0001 03 20416 @ISCSID_UIP_ABSTRACT_NAMESPACE
        0000000000000000: 00000002 00000000 00010000 0001 01 1285 /run/docker/plugins/moor.sock
        """

    @Test func aListeningAbstractSocketCounts() {
        #expect(ISCSIDaemonCheck.isListening("@ISCSIADM_ABSTRACT_NAMESPACE", in: Self.listing))
        #expect(ISCSIDaemonCheck.isListening("/run/docker/plugins/moor.sock", in: Self.listing))
    }

    @Test func aConnectedSocketOrAnotherNameDoesNot() {
        #expect(!ISCSIDaemonCheck.isListening("@ISCSID_UIP_ABSTRACT_NAMESPACE", in: Self.listing), "not listening (flags 0)")
        #expect(!ISCSIDaemonCheck.isListening("@ISCSIADM_ABSTRACT_NAMESPACE", in: "Num RefCount\n"))
    }
}
