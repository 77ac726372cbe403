/// Which Portico this is: `portico version`, `portico_build_info` and the
/// server's start log report it.
///
/// `Scripts/release.sh` writes `ReleaseStamp.swift` beside this file (never
/// committed) and builds with `-DPORTICO_RELEASE_STAMP`, so a release names
/// its commit and build time; any other build says it is a development build.
public enum BuildInfo {
    /// Bumped with each release; the release artefact's name carries it.
    public static let version = "0.15.0"

    #if PORTICO_RELEASE_STAMP
    public static let commit = ReleaseStamp.commit
    public static let buildDate = ReleaseStamp.buildDate
    #else
    public static let commit = "unknown (development build)"
    public static let buildDate = "unknown"
    #endif

    /// The line `portico version` prints.
    public static var description: String {
        "portico \(version) (commit \(commit), built \(buildDate))"
    }
}
