import Testing
@testable import MoorMigrate
