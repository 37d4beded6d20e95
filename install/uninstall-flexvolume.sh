#!/bin/sh
# Removes the moor FlexVolume driver from this node.
#
#   uninstall-flexvolume.sh [<plugin-dir>]
#
# Removes <plugin-dir>/moor~moor/moor, then the moor~moor directory.
# It does not touch moor's state (/var/lib/moor, including disk files), its
# policy (/etc/moor) or its log (/var/log/moor).
#
# Volumes that are still mounted stay mounted. Without the driver kubelet
# cannot unmount them, so pods using them stay Terminating until the driver
# is installed again. Delete those pods before uninstalling.
#
# POSIX sh; also runs under busybox.

set -eu

DEFAULT_PLUGIN_DIR=/usr/libexec/kubernetes/kubelet-plugins/volume/exec
DRIVER_DIR_NAME='moor~moor'
DRIVER_FILE=moor

say() { printf '%s\n' "$*"; }
die() { printf 'uninstall-flexvolume.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    printf 'usage: %s [<plugin-dir>]\n' "$0" >&2
    printf '  <plugin-dir> defaults to %s\n' "$DEFAULT_PLUGIN_DIR" >&2
    exit 2
}

[ "$#" -le 1 ] || usage
case ${1:-} in -h|--help) usage ;; esac

plugin_dir=${1:-$DEFAULT_PLUGIN_DIR}
case $plugin_dir in
    /*) ;;
    *) die "the plugin dir must be an absolute path, not '$plugin_dir'" ;;
esac
while [ "$plugin_dir" != / ] && [ "${plugin_dir%/}" != "$plugin_dir" ]; do
    plugin_dir=${plugin_dir%/}
done

driver_dir=$plugin_dir/$DRIVER_DIR_NAME

# Count pod volumes of this driver that are still mounted (mount points are
# the 5th field of mountinfo; kubelet puts them under .../volumes/moor~moor/).
mounted=0
if [ -r /proc/self/mountinfo ]; then
    mounted=$(awk '$5 ~ /\/volumes\/moor~moor\// { n++ } END { print n + 0 }' /proc/self/mountinfo)
fi
if [ "$mounted" -gt 0 ]; then
    say "warning: $mounted pod volume(s) of moor/moor are still mounted on this node."
    say "         They stay mounted, and kubelet cannot unmount them without the driver:"
    say "         their pods stay Terminating until the driver is installed again."
fi

if [ ! -e "$driver_dir" ] && [ ! -L "$driver_dir" ]; then
    say "$driver_dir does not exist; nothing to remove"
    exit 0
fi

if [ -e "$driver_dir/$DRIVER_FILE" ] || [ -L "$driver_dir/$DRIVER_FILE" ]; then
    rm -f "$driver_dir/$DRIVER_FILE"
    say "removed $driver_dir/$DRIVER_FILE"
fi
# A hidden copy left behind by an interrupted install.
rm -f "$driver_dir/.$DRIVER_FILE"

if [ -L "$driver_dir" ]; then
    rm -f "$driver_dir"
    say "removed symlink $driver_dir"
elif rmdir "$driver_dir" 2>/dev/null; then
    say "removed $driver_dir"
else
    say "kept $driver_dir: it still holds other files:"
    ls -A "$driver_dir"
    exit 1
fi

say "moor's state in /var/lib/moor, /etc/moor and /var/log/moor was left in place"
