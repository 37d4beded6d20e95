#!/bin/bash
# moor's iSCSI multipath inside the guest node: tgtd serves one target on two
# loopback portals, multipathd runs with a minimal configuration, and moor
# (MOOR_BIN) attaches the LUN through both portals and mounts the dm map.
#   MOOR_BIN=... Tests/guest/run-in-guest.sh "$PWD/Tests/guest/multipath.sh"

if [[ -z ${MOOR_GUEST:-} ]]; then
    echo "multipath.sh runs inside the guest node: $(dirname "$0")/run-in-guest.sh $(cd "$(dirname "$0")" && pwd)/multipath.sh" >&2
    exit 2
fi
# shellcheck source=lib.sh
. "$MOOR_GUEST_DIR/lib.sh"

moor=${MOOR_BIN:?MOOR_BIN names the moor binary}
work=${TMPDIR:-/tmp}/multipath-test
rm -rf "$work"; mkdir -p "$work/luns" "$work/pods"
export MOOR_STATE_DIR=$work/state MOOR_LOG=$work/moor.log MOOR_POLICY=$work/policy.json MOOR_LOG_LEVEL=debug
iqn=iqn.2026-11.io.moor:paths
p1=127.0.0.1:3260 p2=127.0.0.2:3260
truncate -s 64M "$work/luns/a.img"
start_tgtd >/dev/null || { fail tgtd "did not start"; finish; }
add_lun 1 "$iqn" 1 "$work/luns/a.img"
# The same target on a second portal: both paths lead to one LUN, so they
# carry the same WWID.
tgtadm --lld iscsi --op new --mode portal --param portal="$p2" || { fail tgtd-second-portal; finish; }

# multipathd reads only /etc/multipath.conf (no option names another file);
# the guest's /etc is a throwaway overlay, so the host's is never touched.
# greedy: a map for every path, without a wwids file. multibus: both paths
# in one group, so I/O uses both and a failed one is noticed at once.
cat >/etc/multipath.conf <<'EOF'
defaults {
    find_multipaths greedy
    user_friendly_names yes
    path_grouping_policy multibus
    polling_interval 2
}
EOF
multipathd_listening() { grep -q '@/org/kernel/linux/storage/multipathd$' /proc/net/unix; }
multipathd -d -v3 >"$work/multipathd.log" 2>&1 &
mpd_pid=$!
wait_for 30 multipathd_listening || { fail multipathd "did not listen on its socket"; tail "$work/multipathd.log"; finish; }

flex_json() { # KEY=VALUE... ; kubelet's sorted map[string]string
    local pairs=() kv
    for kv in "kubernetes.io/fsType=" "kubernetes.io/pvOrVolumeName=pv-mp" "kubernetes.io/readwrite=rw" "$@"; do
        pairs+=("$(printf '"%s":"%s"' "${kv%%=*}" "${kv#*=}")")
    done
    printf '{%s}' "$(printf '%s\n' "${pairs[@]}" | sort | paste -sd, -)"
}
flex() { local out; out=$("$moor" "$@" 2>&1); echo "$out"; [[ $out == *'"status":"Success"'* ]]; }
volume() { flex_json type=iscsi "portal=$p1" "portals=$p2" "iqn=$iqn" lun=1 timeout=60; }
sessions() { ls /sys/class/iscsi_session 2>/dev/null | wc -l; }
# The portals of the sessions, as the kernel reports them, sorted.
session_portals() {
    local c
    for c in /sys/class/iscsi_connection/*; do
        [[ -e $c/persistent_address ]] && echo "$(<"$c/persistent_address"):$(<"$c/persistent_port")"
    done | sort | paste -sd' ' -
}
# The source of the staging mount (the device moor mounted).
staging_source() {
    awk -v root="$MOOR_STATE_DIR/staging/" 'index($5, root) == 1 { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 2); exit } }' /proc/self/mountinfo
}
mpath_maps() { # dm-N of every multipath map
    local d
    for d in /sys/block/dm-*; do [[ -e $d/dm/uuid && $(<"$d/dm/uuid") == mpath-* ]] && basename "$d"; done
}
disks() { ls /sys/class/scsi_disk 2>/dev/null | wc -l; }
nothing_left() { # NAME: no map, no SCSI disk, no session, no node record of the target
    if [[ -z $(mpath_maps) && $(disks) == 0 && $(sessions) == 0 ]] && ! iscsiadm -m node 2>/dev/null | grep -q "$iqn"; then
        pass "$1"
    else
        fail "$1" "maps '$(mpath_maps)', disks $(disks), sessions $(sessions), nodes '$(iscsiadm -m node 2>&1 | grep "$iqn")'"
        tail -n 15 "$MOOR_LOG"
    fi
}
# Where the last mount's time went, from moor's debug log: iscsiadm calls
# (both portals), the wait for the path devices, the wait for the map.
time_split() { # LABEL
    local pid
    pid=$(grep ' published call=mount' "$MOOR_LOG" | tail -n1 | sed -n 's/.*moor\[\([0-9]*\)\].*/\1/p')
    awk -v pid="moor[$pid]:" -v label="$1" 'function ms() { for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { split($i, kv, "="); return kv[2] } }
        $3 == pid && / iscsiadm / { s += ms() }
        $3 == pid && /device appeared/ { d = ms() }
        $3 == pid && /multipath device/ { m = ms() }
        END { printf "TIMING %s iscsiadm %.2fs device-wait %.2fs map-wait %.2fs\n", label, s / 1000, d / 1000, m / 1000 }' "$MOOR_LOG"
}

# Attach through both portals; the map over both paths is mounted.
a=$work/pods/a; mkdir -p "$a"
t=$(now)
if flex mount "$a" "$(volume)"; then
    echo "TIMING multipath-blank-lun-mount $(elapsed "$t")s"; time_split multipath-blank-lun-mount
else
    fail multipath-mount; tail -n 20 "$MOOR_LOG"; tail -n 20 "$work/multipathd.log"; finish
fi
if [[ $(session_portals) == "$p1 $p2" ]]; then pass two-sessions-one-per-portal; else fail two-sessions-one-per-portal "portals '$(session_portals)'"; fi
src=$(staging_source); dm=$(basename "$(readlink -f "$src")")
slaves=$(ls "/sys/block/$dm/slaves" 2>/dev/null | paste -sd' ' -)
if [[ $dm == dm-* && $(<"/sys/block/$dm/dm/uuid") == mpath-* && $(wc -w <<<"$slaves") == 2 ]]; then
    pass mounted-on-multipath-map "$src over $slaves"
else
    fail mounted-on-multipath-map "source '$src' ($dm), slaves '$slaves'"
fi
head -c 1M /dev/urandom >"$work/data"
cp "$work/data" "$a/data" && sync

# One path fails (its SCSI device goes offline): I/O goes on through the other.
bad=${slaves%% *}
echo offline >"/sys/block/$bad/device/state"
head -c 4M /dev/urandom >"$work/more"
if dd if="$work/more" of="$a/more" bs=1M oflag=direct conv=fsync status=none && echo 3 >/proc/sys/vm/drop_caches &&
    cmp -s "$work/more" "$a/more"; then
    pass io-survives-path-failure "$bad offline"
else
    fail io-survives-path-failure "$bad offline"
fi
# The map itself marks the path failed (dmsetup's status: "F" after its major:minor).
failed_path() { dmsetup status "$(<"/sys/block/$dm/dm/name")" | grep -q "$(<"/sys/block/$bad/dev") F"; }
if wait_for 20 failed_path; then pass map-marks-path-failed; else fail map-marks-path-failed "$(dmsetup status 2>&1)"; fi
echo running >"/sys/block/$bad/device/state"

t=$(now)
flex unmount "$a" >/dev/null || fail multipath-unmount
echo "TIMING multipath-unmount $(elapsed "$t")s"
nothing_left nothing-left-after-release

# Attach again: the data is there.
t=$(now)
flex mount "$a" "$(volume)" >/dev/null && echo "TIMING multipath-formatted-lun-mount $(elapsed "$t")s" && time_split multipath-formatted-lun-mount
if cmp -s "$work/data" "$a/data" && cmp -s "$work/more" "$a/more"; then pass data-survives-remount; else fail data-survives-remount; fi
[[ $(basename "$(readlink -f "$(staging_source)")") == dm-* ]] || fail remount-on-map "source $(staging_source)"

# A portal's session goes away under the mount (logged out behind moor's
# back): I/O goes on, and release still cleans up everything.
iscsiadm -m node -T "$iqn" -p "$p2" --logout >/dev/null
if [[ $(sessions) == 1 ]] && head -c 2M /dev/urandom >"$work/late" && dd if="$work/late" of="$a/late" bs=1M oflag=direct conv=fsync status=none &&
    cmp -s "$work/late" "$a/late"; then
    pass io-survives-portal-logout
else
    fail io-survives-portal-logout "sessions $(sessions)"
fi
flex unmount "$a" >/dev/null || fail unmount-after-portal-logout
nothing_left nothing-left-after-portal-logout

# Without multipathd: both portals logged in, one path mounted, and the log says so.
kill "$mpd_pid"; wait "$mpd_pid" 2>/dev/null
wait_for 10 eval '! multipathd_listening'
flex mount "$a" "$(volume)" >/dev/null || fail single-path-mount
if [[ $(sessions) == 2 && $(staging_source) == /dev/sd* ]] && cmp -s "$work/data" "$a/data" &&
    grep -q 'multipathd is not running: using one path' "$MOOR_LOG"; then
    pass single-path-without-multipathd "$(staging_source)"
else
    fail single-path-without-multipathd "sessions $(sessions), source $(staging_source)"
fi
flex unmount "$a" >/dev/null
nothing_left nothing-left-single-path
stop_tgtd
# Kept for a look when run-in-guest.sh was given MOOR_GUEST_OUTDIR.
cp "$MOOR_LOG" "$work/multipathd.log" /moor-guest/results/ 2>/dev/null
finish
