#!/usr/bin/env bash
# Builds the one file to copy: dist/portico-VERSION-linux-ARCH, a release
# build with the Swift runtime and Foundation linked in statically and its
# symbols stripped. It needs only what every Debian or Ubuntu machine has
# (libc, libstdc++, libgcc_s, zlib) plus libsqlite3; TLS is BoringSSL, built in.
#
#   Scripts/release.sh [--output DIR]     (default DIR: dist)
#
# The scratch directory (.build-release, or $PORTICO_RELEASE_SCRATCH) is
# kept between runs, so a second build only recompiles what changed. The
# script fails if the artefact still needs a library from the toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

output=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    *) echo "usage: Scripts/release.sh [--output DIR]" >&2; exit 64 ;;
  esac
done

version=$(sed -n 's/^ *public static let version = "\(.*\)"$/\1/p' Sources/PorticoApp/Support/BuildInfo.swift)
[ -n "$version" ] || { echo "release.sh: no version in BuildInfo.swift" >&2; exit 1; }
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit+changes"
fi
# SOURCE_DATE_EPOCH (reproducible-builds.org) pins the date when set.
build_date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
arch=$(uname -m)
scratch=${PORTICO_RELEASE_SCRATCH:-.build-release}

# The stamp exists only for this build (never committed).
stamp=Sources/PorticoApp/Support/ReleaseStamp.swift
trap 'rm -f "$stamp"' EXIT
cat > "$stamp" <<SWIFT
// Written by Scripts/release.sh for one build; not part of the repository.
// Formatted as swift-format wants it: the format test may run during a build.
#if PORTICO_RELEASE_STAMP
enum ReleaseStamp {
    static let commit = "$commit"
    static let buildDate = "$build_date"
}
#endif
SWIFT

flags=(-c release --product portico --static-swift-stdlib --scratch-path "$scratch" -Xswiftc -DPORTICO_RELEASE_STAMP)
swift build "${flags[@]}"
binary="$(swift build "${flags[@]}" --show-bin-path)/portico"

mkdir -p "$output"
artefact="$output/portico-$version-linux-$arch"
strip --strip-all -o "$artefact.partial" "$binary"
mv "$artefact.partial" "$artefact"

# Nothing from the toolchain may remain: every library must come from the system.
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
if ldd "$artefact" | grep -E "not found|$toolchain" >&2; then
  echo "release.sh: $artefact still needs the libraries above" >&2
  exit 1
fi
echo "$artefact ($(stat -c %s "$artefact") bytes): $("$artefact" version)"
