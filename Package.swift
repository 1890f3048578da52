// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "wishes",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Wishes", targets: ["Wishes"]),
        .library(name: "WishesAWS", targets: ["WishesAWS"]),
        .executable(name: "MakeAWish", targets: ["MakeAWish"]),
        .executable(name: "CountToThree", targets: ["CountToThree"]),
        .executable(name: "Web", targets: ["Web"]),
        .executable(name: "LocalCloud", targets: ["LocalCloud"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // prctl, which Swift cannot call (it is variadic): the task makes itself non-dumpable.
        .target(name: "CWishesSystem"),
        // The AWS layer: SigV4, credentials, the service clients, standard retries, XML. It knows
        // nothing of wishes, as soto-core knows nothing of the services built on it.
        .target(
            name: "WishesAWS",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .target(
            name: "Wishes",
            dependencies: [
                "CWishesSystem",
                "WishesAWS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Full Foundation's String extensions (range(of:), contains) reach here through the
            // dependencies that import it and would link it, ICU and its 34 MB of data into every
            // binary: only what this target imports itself is in scope.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "MakeAWish",
            dependencies: [
                "Wishes",
                "WishesAWS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "CountToThree",
            dependencies: [
                "Wishes",
                "WishesAWS",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "WishesWeb",
            dependencies: [
                "Wishes",
                "WishesAWS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "Web",
            dependencies: [
                "Wishes",
                "WishesAWS",
                "WishesWeb",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "LocalCloud",
            dependencies: [
                "Wishes",
                "WishesAWS",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "WishesBench",
            dependencies: ["Wishes", "WishesAWS", "WishesWeb"],
            path: "bench/WishesBench"
        ),
        .testTarget(
            name: "WishesTests",
            dependencies: [
                "Wishes",
                "WishesAWS",
                "WishesWeb",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures", "Scripts"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
