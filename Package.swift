// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "portico",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portico", targets: ["portico"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // Benchmarks only (the raw-client baseline); HummingbirdTesting builds it anyway.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // The gateway's `Portico-Identity` tokens (ES256 JWTs).
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // The upstream's `Portico-Usage` header (an RFC 9651 structured-field dictionary).
        .package(url: "https://github.com/apple/swift-http-structured-headers.git", from: "1.7.0"),
        // The PostgreSQL engine (`database.url = postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "portico",
            dependencies: [
                "PorticoApp",
                "PorticoCore",
                "PorticoStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // listen, logs tail and trigger talk to a Portico over HTTP.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PorticoApp",
            dependencies: [
                "PorticoCore",
                "PorticoStore",
                "PorticoPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
            ],
            swiftSettings: swiftSettings
        ),
        // `swift run -c release portico-webhook-bench`: see docs/development.md, Benchmarks.
        .executableTarget(
            name: "portico-webhook-bench",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/WebhookBench",
            swiftSettings: swiftSettings
        ),
        // `swift run -c release portico-hotpath-profile`: see docs/development.md, Benchmarks.
        .executableTarget(
            name: "portico-hotpath-profile",
            dependencies: [
                "PorticoApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/HotPathProfile",
            swiftSettings: swiftSettings
        ),
        // The domain's rules with no I/O: no Hummingbird, no GRDB, no NIO (docs/architecture.md).
        .target(
            name: "PorticoCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PorticoStore",
            dependencies: [
                "PorticoCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // The reader threads (`SQLiteStore.readerThreads`).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL engine of the store's contracts (docs/scaling.md).
        .target(
            name: "PorticoPostgres",
            dependencies: [
                "PorticoCore",
                "PorticoStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Reading a SQLite database to copy it across (`SQLiteImport`).
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the test targets share: the throwaway PostgreSQL cluster (`TestPostgres`).
        .target(
            name: "PorticoTestSupport",
            dependencies: [
                "PorticoPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PorticoTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoCoreTests",
            dependencies: ["PorticoCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoStoreTests",
            dependencies: [
                "PorticoCore",
                "PorticoStore",
                "PorticoPostgres",
                "PorticoTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PorticoAppTests",
            dependencies: [
                "PorticoApp",
                "PorticoCore",
                "PorticoStore",
                "PorticoPostgres",
                "PorticoTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // A self-signed certificate for the gateway's TLS test (already in the graph through jwt-kit).
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["Support/tcp-proxy.py"],  // run by UnreachableDatabaseTests from the source tree
            swiftSettings: swiftSettings
        ),
    ]
)
