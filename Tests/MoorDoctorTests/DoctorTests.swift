import Testing
@testable import MoorDoctor
