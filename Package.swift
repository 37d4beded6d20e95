// swift-tools-version:6.0
import PackageDescription

// `moor` is exec'd by kubelet on every volume call, so it is linked fully
// static: it starts ~4x faster and runs on any node's glibc. `moord` is
// static too, so each front door installs as one file. With
// FoundationEssentials linked in, the static link also needs these three
// archives named explicitly (plain `-static-executable` leaves them out).
let fullyStatic: [LinkerSetting] = [
    .unsafeFlags([
        "-static-executable",
        "-Xlinker", "-l_FoundationCollections",
        "-Xlinker", "-l_FoundationCShims",
        "-Xlinker", "-lswiftSynchronization",
    ])
]

// `moor-migrate` reads and writes YAML through Yams, which imports all of
// Foundation, so its static link needs Foundation's own archives and ICU
// too, in this order. It is a binary of its own because linking them into
// `moor` made every kubelet call pay for CoreFoundation's and ICU's
// start-up (`moor init` 0.72 → 1.41 ms in bench/run); `moor migrate` execs it.
let fullyStaticWithFoundation: [LinkerSetting] = [
    .unsafeFlags(["-static-executable"] + [
        "-lFoundation", "-lFoundationInternationalization", "-lCoreFoundation", "-l_FoundationICU",
        "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization",
        "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime", "-lstdc++",
    ].flatMap { ["-Xlinker", $0] })
]

let package = Package(
    name: "moor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "moor", targets: ["moor"]),
        .executable(name: "moord", targets: ["moord"]),
        .executable(name: "moor-migrate", targets: ["moor-migrate"]),
        .library(name: "MoorCore", targets: ["MoorCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "CMoorSystem"),
        .systemLibrary(name: "CLibNFS", pkgConfig: "libnfs", providers: [.apt(["libnfs-dev"])]),
        .target(
            name: "MoorCore",
            dependencies: [
                "CMoorSystem", "CLibNFS",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "MoorFlexVolume", dependencies: ["MoorCore"]),
        // Docker's volume options in moor's vocabulary: moord and `moor migrate` share it, without NIO.
        .target(name: "MoorDockerOptions", dependencies: ["MoorCore"]),
        .target(name: "MoorMigrate", dependencies: ["MoorCore", "MoorDockerOptions", .product(name: "Yams", package: "Yams")]),
        .target(name: "MoorDoctor", dependencies: ["MoorCore", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "moor",
            dependencies: [
                "MoorCore", "MoorFlexVolume", "MoorDoctor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: fullyStatic
        ),
        .executableTarget(
            name: "moor-migrate",
            dependencies: ["MoorCore", "MoorMigrate", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: fullyStaticWithFoundation
        ),
        .target(
            name: "MoorDocker",
            dependencies: [
                "MoorCore", "MoorDockerOptions",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "moord",
            dependencies: [
                "MoorCore", "MoorDocker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: fullyStatic
        ),
        .target(
            name: "MoorTestSupport",
            dependencies: ["MoorCore", .product(name: "SystemPackage", package: "swift-system")],
            path: "Tests/MoorTestSupport"
        ),
        .testTarget(
            name: "MoorCoreTests",
            dependencies: ["MoorCore", "MoorDockerOptions", "MoorTestSupport", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(name: "MoorFlexVolumeTests", dependencies: ["MoorFlexVolume", "MoorTestSupport"]),
        .testTarget(name: "MoorMigrateTests", dependencies: ["MoorMigrate", "MoorDockerOptions", "MoorTestSupport"]),
        .testTarget(name: "MoorDoctorTests", dependencies: ["MoorDoctor", "MoorTestSupport"]),
        .testTarget(
            name: "MoorDockerTests",
            dependencies: ["MoorDocker", "MoorTestSupport", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "MoorIntegrationTests",
            dependencies: ["MoorCore", "MoorFlexVolume", "MoorTestSupport", .product(name: "Yams", package: "Yams")]
        ),
    ]
)
