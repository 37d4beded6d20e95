#!/bin/sh
# Installs moord, the moor Docker volume plugin, on this host.
#
#   install-moord.sh <moord-binary>
#
# 1. Copies the binary to /usr/local/bin/moord: first to a hidden file next to
#    it, which is checked by running it, then renamed over the old one in one
#    step, so nothing ever runs a half-written moord.
# 2. Installs moord.service and moord.socket (from systemd/ beside this
#    script) to /etc/systemd/system, and this guide (docs/docker.md) to
#    /usr/local/share/doc/moor/docker.md, where the units point.
# 3. With systemd as the init system: `systemctl daemon-reload`, then
#    `systemctl enable --now moord.socket`; a moord.service that is already
#    running is restarted onto the new binary (volumes stay mounted while it
#    restarts). Without systemd it prints how to start moord by hand.
#
# Environment:
#   DESTDIR=/some/dir        install under this prefix instead of /, and never
#                            call systemctl (packaging, tests)
#   MOOR_SKIP_RUN_CHECK=1    do not run the copied binary before the rename
#                            (for a binary built for another architecture)
#   MOOR_NO_ENABLE=1         install the units but do not enable or start them
#
# POSIX sh.

set -eu

say() { printf '%s\n' "$*"; }
die() { printf 'install-moord.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    printf 'usage: %s <moord-binary>\n' "$0" >&2
    printf '  (DESTDIR=<dir> installs under <dir> and skips systemctl)\n' >&2
    exit 2
}

[ "$#" -eq 1 ] || usage
case $1 in -h|--help) usage ;; esac

binary=$1
destdir=${DESTDIR:-}
case $destdir in
    ''|/*) ;;
    *) die "DESTDIR must be an absolute path, not '$destdir'" ;;
esac
destdir=${destdir%/}

here=$(cd "$(dirname "$0")" && pwd)
unit_src=$here/systemd
doc_src=$here/../docs/docker.md

bin_dir=$destdir/usr/local/bin
unit_dir=$destdir/etc/systemd/system
doc_dir=$destdir/usr/local/share/doc/moor
target=$bin_dir/moord
staged=$bin_dir/.moord.new.$$

[ -f "$binary" ] || die "'$binary' is not a file"
[ -r "$binary" ] || die "'$binary' is not readable"
for unit in moord.service moord.socket; do
    [ -f "$unit_src/$unit" ] || die "missing $unit_src/$unit (run this script from the moor source tree)"
done
if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
    die "run as root (moord mounts file systems and owns a root-only socket)"
fi

# Remove temporary files if anything below fails or the script is interrupted.
temporaries=
cleanup() {
    for file in $temporaries; do rm -f "$file"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Copies $1 to $2 through a temporary file in $2's directory and a rename.
install_file() {
    source=$1 dest=$2 mode=$3
    tmp=$(dirname "$dest")/.$(basename "$dest").new.$$
    temporaries="$temporaries $tmp"
    rm -f "$tmp"
    cp "$source" "$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
}

mkdir -p "$bin_dir" "$unit_dir"

# --- the binary ---------------------------------------------------------
binary_changed=yes
if [ -f "$target" ] && [ -x "$target" ] && cmp -s "$binary" "$target"; then
    binary_changed=no
    say "$target is already this binary"
else
    temporaries="$temporaries $staged"
    rm -f "$staged"
    cp "$binary" "$staged"
    chmod 0755 "$staged"
    if [ "${MOOR_SKIP_RUN_CHECK:-}" = 1 ]; then
        say "skipped the run check (MOOR_SKIP_RUN_CHECK=1)"
    else
        # Running the copy catches a binary for another architecture, a
        # missing shared library and a noexec file system before the rename.
        reply=$("$staged" --help 2>&1) || die "'$binary' does not run here: $reply"
        case $reply in
            *moord*) ;;
            *) die "'$binary' does not look like moord: $(printf '%s\n' "$reply" | head -n 1)" ;;
        esac
    fi
    mv -f "$staged" "$target"
    say "installed $target"
fi

# --- the units and the guide -----------------------------------------------
units_changed=no
for unit in moord.socket moord.service; do
    if [ -f "$unit_dir/$unit" ] && cmp -s "$unit_src/$unit" "$unit_dir/$unit"; then
        continue
    fi
    install_file "$unit_src/$unit" "$unit_dir/$unit" 0644
    units_changed=yes
    say "installed $unit_dir/$unit"
done
if [ -f "$doc_src" ]; then
    mkdir -p "$doc_dir"
    install_file "$doc_src" "$doc_dir/docker.md" 0644
fi
trap - EXIT

# --- starting it --------------------------------------------------------------
by_hand() {
    say ""
    say "systemd is not the init system here; start moord by hand, as root:"
    say ""
    say "  mkdir -p /var/log/moor"
    say "  setsid /usr/local/bin/moord --name moor </dev/null >>/var/log/moor/moord.log 2>&1 &"
    say ""
    say "Start it before dockerd (or at least before any container that uses a"
    say "moor volume), and after a host reboot again. It serves"
    say "/run/docker/plugins/moor.sock; check it with:"
    say ""
    say "  curl -s --unix-socket /run/docker/plugins/moor.sock -XPOST -d '{}' http://moor/VolumeDriver.List"
}

if [ -n "$destdir" ]; then
    say "DESTDIR is set: not calling systemctl"
    exit 0
fi
if [ ! -d /run/systemd/system ]; then
    by_hand
    exit 0
fi
if [ "${MOOR_NO_ENABLE:-}" = 1 ]; then
    systemctl daemon-reload
    say "units installed, not enabled (MOOR_NO_ENABLE=1); enable with: systemctl enable --now moord.socket"
    exit 0
fi

systemctl daemon-reload
systemctl enable --now moord.socket
if systemctl is-active --quiet moord.service; then
    if [ "$binary_changed" = yes ] || [ "$units_changed" = yes ]; then
        # Safe while containers run: the mounts stay in the kernel and moord
        # reloads its volumes; dockerd retries calls while the socket is down.
        systemctl restart moord.service
        say "restarted moord.service"
    fi
fi
say "moord.socket is enabled and listening on /run/docker/plugins/moor.sock;"
say "moord starts on dockerd's first call. Try: docker volume create -d moor data"
