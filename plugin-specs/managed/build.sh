#!/bin/sh
# Builds the managed ("v2") moor plugin and creates it in the local dockerd:
#
#   plugin-specs/managed/build.sh [VERSION]
#
# VERSION is the plugin tag (default: latest); the plugin is created as
# ${PLUGIN_NAME:-moor/moor}:VERSION. Steps:
#
#   1. moord: MOORD_BINARY if set, else `swift build -c release --product moord
#      --static-swift-stdlib` in the repository (the plugin's Debian rootfs
#      has no Swift runtime, so only glibc may stay dynamic);
#   2. `docker build` of the rootfs image (Dockerfile beside this script) in a
#      small context under build/context;
#   3. `docker create` + `docker export` of that image into build/plugin/rootfs,
#      with config.json beside it;
#   4. `docker plugin create NAME:VERSION ./build/plugin`.
#
# Needs root (or the docker group), a running dockerd, and access to a
# registry that has debian:bookworm-slim. Then:
#
#   docker plugin enable --timeout 120 moor/moor:latest
#   docker plugin push moor/moor:latest          (to share it; needs a registry)
#
# POSIX sh.

set -eu

say() { printf '%s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

[ "$#" -le 1 ] || die "usage: $0 [VERSION]"
version=${1:-latest}
case $version in
    ''|-*|*[!A-Za-z0-9_.-]*) die "VERSION must be a Docker tag ([A-Za-z0-9_.-], not starting with '-'), not '$version'" ;;
esac
name=${PLUGIN_NAME:-moor/moor}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$here/build
context=$build/context
plugin=$build/plugin
image=moor-plugin-rootfs:$version

command -v docker >/dev/null 2>&1 || die "docker is not on PATH"
docker version >/dev/null 2>&1 || die "cannot reach dockerd (run as root or as a member of the docker group)"
if docker plugin inspect "$name:$version" >/dev/null 2>&1; then
    die "plugin $name:$version already exists; remove it first (docker plugin disable $name:$version && docker plugin rm $name:$version) or pick another VERSION"
fi

# 1. moord
if [ -n "${MOORD_BINARY:-}" ]; then
    binary=$MOORD_BINARY
else
    say "building moord (release, Swift runtime linked in)"
    (cd "$repo" && swift build -c release --product moord --static-swift-stdlib)
    binary=$(cd "$repo" && swift build -c release --product moord --static-swift-stdlib --show-bin-path)/moord
fi
[ -f "$binary" ] || die "no moord binary at $binary"
if command -v ldd >/dev/null 2>&1; then
    libraries=$(ldd "$binary" 2>&1 || true)
    case $libraries in
        *"not found"*|*libswift*|*libFoundation*|*libdispatch*)
            die "$binary needs libraries the plugin rootfs does not have (build it with --static-swift-stdlib):
$libraries" ;;
    esac
fi

# 2. rootfs image
rm -rf "$context"
mkdir -p "$context"
cp "$here/Dockerfile" "$context/Dockerfile"
cp "$binary" "$context/moord"
chmod 0755 "$context/moord"
say "building the rootfs image $image"
docker build -t "$image" "$context"

# 3. plugin directory: config.json + rootfs/
rm -rf "$plugin"
mkdir -p "$plugin/rootfs"
cp "$here/config.json" "$plugin/config.json"
container=$(docker create "$image" --help)
cleanup() { docker rm -f "$container" >/dev/null 2>&1 || true; }
trap cleanup EXIT
docker export "$container" | tar -x -C "$plugin/rootfs"
cleanup
trap - EXIT

# 4. the plugin
say "creating plugin $name:$version from $plugin"
(cd "$here" && docker plugin create "$name:$version" ./build/plugin)
say ""
say "created $name:$version (disabled). Before enabling, on this host:"
say "  mkdir -p /var/lib/moor-plugin /etc/moor"
say "then:"
say "  docker plugin enable --timeout 120 $name:$version"
say "  docker volume create -d $name:$version data"
