#!/bin/sh
# Installs the moor FlexVolume driver (driver name moor/moor) on this node.
#
#   install-flexvolume.sh <moor-binary> [<plugin-dir>]
#
# <plugin-dir> is kubelet's volume plugin directory (--volume-plugin-dir or
# volumePluginDir); it defaults to DEFAULT_PLUGIN_DIR below. The driver ends
# up at <plugin-dir>/moor~moor/moor.
#
# kubelet watches <plugin-dir> and runs any new executable it sees there, but
# it ignores names that start with a dot. So the binary is copied to the
# hidden file moor~moor/.moor first, checked, and then renamed over
# moor~moor/moor in one step: kubelet never sees a half-written driver.
#
# Set MOOR_SKIP_INIT_CHECK=1 to skip running `.moor init` before the rename
# (for example when preparing a node image for another architecture).
#
# POSIX sh; also runs under busybox (the installer DaemonSet uses it).

set -eu

DEFAULT_PLUGIN_DIR=/usr/libexec/kubernetes/kubelet-plugins/volume/exec
DRIVER_DIR_NAME='moor~moor'
DRIVER_FILE=moor

say() { printf '%s\n' "$*"; }
die() { printf 'install-flexvolume.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    printf 'usage: %s <moor-binary> [<plugin-dir>]\n' "$0" >&2
    printf '  <plugin-dir> defaults to %s\n' "$DEFAULT_PLUGIN_DIR" >&2
    exit 2
}

[ "$#" -ge 1 ] && [ "$#" -le 2 ] || usage
case $1 in -h|--help) usage ;; esac

binary=$1
plugin_dir=${2:-$DEFAULT_PLUGIN_DIR}

case $plugin_dir in
    /*) ;;
    *) die "the plugin dir must be an absolute path, not '$plugin_dir'" ;;
esac
# Drop trailing slashes so the paths printed below read well.
while [ "$plugin_dir" != / ] && [ "${plugin_dir%/}" != "$plugin_dir" ]; do
    plugin_dir=${plugin_dir%/}
done

[ -f "$binary" ] || die "'$binary' is not a file"
[ -r "$binary" ] || die "'$binary' is not readable"

driver_dir=$plugin_dir/$DRIVER_DIR_NAME
target=$driver_dir/$DRIVER_FILE
staged=$driver_dir/.$DRIVER_FILE

if [ ! -d "$plugin_dir" ]; then
    mkdir -p "$plugin_dir"
    say "created plugin dir $plugin_dir (check that kubelet's volume plugin dir is this one)"
fi
if [ -L "$plugin_dir" ]; then
    say "warning: $plugin_dir is a symlink; kubelet may not notice changes made through it"
fi
if [ -L "$driver_dir" ]; then
    die "$driver_dir is a symlink; kubelet does not watch through symlinks. Remove it and run again"
fi
if [ ! -d "$driver_dir" ]; then
    mkdir "$driver_dir"
    chmod 0755 "$driver_dir"
    say "created $driver_dir"
fi

# The same binary already in place: leave it, so kubelet does not re-probe.
if [ -f "$target" ] && [ -x "$target" ] && cmp -s "$binary" "$target"; then
    say "$target is already this binary; nothing to do"
    exit 0
fi

# Remove the hidden copy if anything below fails or the script is interrupted.
cleanup() { rm -f "$staged"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -f "$staged"
cp "$binary" "$staged"
chmod 0755 "$staged"

if [ "${MOOR_SKIP_INIT_CHECK:-}" = 1 ]; then
    say "skipped the init check (MOOR_SKIP_INIT_CHECK=1)"
else
    # `moor init` touches no file and prints one JSON line. Running the copy
    # (not the source) also catches a plugin dir mounted noexec.
    reply=$("$staged" init 2>&1) || die "'$staged init' failed: $reply"
    case $reply in
        *'"status":"Success"'*'"attach":false'*) ;;
        *) die "'$staged init' did not answer like moor: $reply" ;;
    esac
fi

mv -f "$staged" "$target"
trap - EXIT

version=$("$target" version 2>/dev/null || true)
case $version in "moor "*) ;; *) version=moor ;; esac
say "installed $version as $target"
say "driver name: moor/moor (kubelet loads it on its next probe; no restart needed)"
