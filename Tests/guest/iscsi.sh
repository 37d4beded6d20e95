#!/bin/bash
# moor's iSCSI backend with the real kernel initiator, inside the guest
# node: tgtd serves LUNs on the guest's loopback; moor (MOOR_BIN) and moord
# (MOORD_BIN) attach them as kubelet and dockerd would drive them.
#   MOOR_BIN=... MOORD_BIN=... Tests/guest/run-in-guest.sh "$PWD/Tests/guest/iscsi.sh"

if [[ -z ${MOOR_GUEST:-} ]]; then
    echo "iscsi.sh runs inside the guest node: $(dirname "$0")/run-in-guest.sh $(cd "$(dirname "$0")" && pwd)/iscsi.sh" >&2
    exit 2
fi
# shellcheck source=lib.sh
. "$MOOR_GUEST_DIR/lib.sh"

moor=${MOOR_BIN:?MOOR_BIN names the moor binary}
moord=${MOORD_BIN:?MOORD_BIN names the moord binary}
work=${TMPDIR:-/tmp}/iscsi-test
rm -rf "$work"; mkdir -p "$work/luns" "$work/pods"
export MOOR_STATE_DIR=$work/state MOOR_LOG=$work/moor.log MOOR_POLICY=$work/policy.json MOOR_LOG_LEVEL=debug
iqn=iqn.2026-11.io.moor:store1
iqn_chap=iqn.2026-11.io.moor:secure
for f in a b c d; do truncate -s 64M "$work/luns/$f.img"; done
# LUN 3 already holds a file system with data: it must never be reformatted.
mkfs.ext4 -q -F "$work/luns/c.img"; mkdir -p "$work/m"; mount -o loop "$work/luns/c.img" "$work/m"
echo precious >"$work/m/keep"; umount "$work/m"
start_tgtd >/dev/null || { fail tgtd "did not start"; finish; }
add_lun 1 "$iqn" 1 "$work/luns/a.img"
add_lun 1 "$iqn" 2 "$work/luns/b.img"
add_lun 1 "$iqn" 3 "$work/luns/c.img"
add_lun 2 "$iqn_chap" 1 "$work/luns/d.img" moor-user moor-secret-42

flex_json() { # KEY=VALUE... ; kubelet's sorted map[string]string
    local pairs=() kv
    for kv in "kubernetes.io/fsType=" "kubernetes.io/pvOrVolumeName=pv-iscsi" "kubernetes.io/readwrite=rw" "$@"; do
        pairs+=("$(printf '"%s":"%s"' "${kv%%=*}" "${kv#*=}")")
    done
    printf '{%s}' "$(printf '%s\n' "${pairs[@]}" | sort | paste -sd, -)"
}
flex() { local out; out=$("$moor" "$@" 2>&1); echo "$out"; [[ $out == *'"status":"Success"'* ]]; }
pod() { mkdir -p "$work/pods/$1"; echo "$work/pods/$1"; }
sessions() { ls /sys/class/iscsi_session 2>/dev/null | wc -l; }
fs_mounts() { awk -v root="$MOOR_STATE_DIR/staging/" 'index($5, root) == 1' /proc/self/mountinfo | wc -l; }
lun() { flex_json type=iscsi portal=127.0.0.1:3260 "iqn=$iqn" "lun=$1" "${@:2}"; }

# One login, one device, one file system mount for two pods.
a=$(pod a); b=$(pod b)
# Where a mount's time goes: iscsiadm calls, the wait for the device (sysfs,
# no udev), and the rest (mkfs, fsck, mount), from moor's debug log.
time_split() { # LABEL: the last mount call's iscsiadm and device-wait milliseconds
    local pid
    pid=$(grep ' published call=mount' "$MOOR_LOG" | tail -n1 | sed -n 's/.*moor\[\([0-9]*\)\].*/\1/p')
    awk -v pid="moor[$pid]:" -v label="$1" '$3 == pid && / iscsiadm / { for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { split($i, kv, "="); s += kv[2] } }
        $3 == pid && /device appeared/ { for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { split($i, kv, "="); d = kv[2] } }
        END { printf "TIMING %s iscsiadm %.2fs device-wait %.2fs\n", label, s / 1000, d / 1000 }' "$MOOR_LOG"
}
t=$(now)
if flex mount "$a" "$(lun 1)"; then echo "TIMING blank-lun-mount $(elapsed "$t")s"; time_split blank-lun-mount; else fail lun1-mount; fi
flex mount "$b" "$(lun 1)" >/dev/null || fail lun1-second-mount
if [[ $(sessions) == 1 && $(fs_mounts) == 1 && $(ls /sys/class/scsi_disk | wc -l) == 1 ]]; then
    pass one-login-one-device-one-mount
else
    fail one-login-one-device-one-mount "sessions $(sessions), staging mounts $(fs_mounts), disks $(ls /sys/class/scsi_disk)"
fi
echo "survives" >"$a/data"
[[ $(cat "$b/data") == survives ]] && pass lun1-shared || fail lun1-shared
flex unmount "$a" >/dev/null; flex unmount "$b" >/dev/null
[[ $(sessions) == 0 ]] && pass logout-after-last || fail logout-after-last "sessions: $(sessions)"
t=$(now)
flex mount "$a" "$(lun 1)" >/dev/null && echo "TIMING formatted-lun-mount $(elapsed "$t")s" && time_split formatted-lun-mount
[[ $(cat "$a/data" 2>/dev/null) == survives ]] && pass data-survives-logout-login || fail data-survives-logout-login
flex unmount "$a" >/dev/null

# A LUN holding data is mounted, never formatted.
c=$(pod c)
flex mount "$c" "$(lun 3)" >/dev/null
[[ $(cat "$c/keep" 2>/dev/null) == precious ]] && pass existing-data-not-reformatted || fail existing-data-not-reformatted
flex unmount "$c" >/dev/null

# Two LUNs of one target: the first release keeps the session.
flex mount "$a" "$(lun 1)" >/dev/null; flex mount "$b" "$(lun 2)" >/dev/null
flex unmount "$a" >/dev/null
[[ $(sessions) == 1 && -n $(ls "$b") || $(sessions) == 1 ]] && pass session-kept-for-other-lun || fail session-kept-for-other-lun "sessions $(sessions)"
flex unmount "$b" >/dev/null
[[ $(sessions) == 0 ]] && pass logout-after-second-lun || fail logout-after-second-lun "sessions $(sessions)"

# CHAP: the right secret works; a wrong one fails clearly and leaves nothing.
b64() { printf '%s' "$1" | base64 -w0; }
chap() { flex_json type=iscsi portal=127.0.0.1:3260 "iqn=$iqn_chap" lun=1 timeout=30 \
    "kubernetes.io/secret/chapUser=$(b64 moor-user)" "kubernetes.io/secret/chapSecret=$(b64 "$1")"; }
d=$(pod d)
if flex mount "$d" "$(chap moor-secret-42)" >/dev/null; then pass chap-right; else fail chap-right; fi
# Credentials are part of identity: while d holds the session, a consumer of
# the same LUN with a wrong secret, or with none, does not get in through it.
e=$(pod e)
out=$("$moor" mount "$e" "$(chap wrong-secret-77)" 2>&1)
if [[ $out == *Failure* && $out == *"other credentials"* && -z $(awk -v p="$e" '$5 == p' /proc/self/mountinfo) ]]; then
    pass chap-session-not-shared-with-wrong-secret
else
    fail chap-session-not-shared-with-wrong-secret "$out"
fi
out=$("$moor" mount "$e" "$(flex_json type=iscsi portal=127.0.0.1:3260 "iqn=$iqn_chap" lun=1 timeout=30)" 2>&1)
[[ $out == *Failure* ]] && pass chap-session-not-shared-without-secret || fail chap-session-not-shared-without-secret "$out"
flex unmount "$d" >/dev/null
out=$("$moor" mount "$d" "$(chap wrong-secret-99)" 2>&1)
if [[ $out == *Failure* && $out == *"CHAP"* && $out != *wrong-secret-99* ]]; then pass chap-wrong-clear; else fail chap-wrong-clear "$out"; fi
if [[ $(sessions) == 0 && -z $(iscsiadm -m node 2>/dev/null | grep "$iqn_chap") ]]; then pass chap-wrong-leaves-nothing; else fail chap-wrong-leaves-nothing "$(iscsiadm -m node 2>&1)"; fi
if ! grep -rq "wrong-secret-99\|moor-secret-42\|wrong-secret-77" "$MOOR_LOG" 2>/dev/null; then pass no-secret-in-log; else fail no-secret-in-log; fi

# Discovery CHAP: the secret is in no file once discovery is done, whether it
# worked (a live portal) or not (nobody listens on 3261).
discovery() { flex_json type=iscsi "portal=$1" "iqn=$iqn" lun=1 timeout=15 \
    "kubernetes.io/secret/discoveryChapUser=$(b64 disc-user)" "kubernetes.io/secret/discoveryChapSecret=$(b64 disc-secret-31)"; }
out=$("$moor" mount "$e" "$(discovery 127.0.0.1:3261)" 2>&1)
if [[ $out == *Failure* ]] && ! grep -rq "disc-secret-31" /etc/iscsi "$MOOR_STATE_DIR" "$MOOR_LOG" 2>/dev/null; then
    pass discovery-secret-gone-after-failure
else
    fail discovery-secret-gone-after-failure "$out; $(grep -rl disc-secret-31 /etc/iscsi "$MOOR_STATE_DIR" 2>&1)"
fi
# (tgtd asks no discovery CHAP here; whether the login then works depends on
# the initiator's offer, and is not what this checks.)
out=$("$moor" mount "$e" "$(discovery 127.0.0.1:3260)" 2>&1)
echo "discovery CHAP against the live portal: $out"
if ! grep -rq "disc-secret-31" /etc/iscsi "$MOOR_STATE_DIR" "$MOOR_LOG" 2>/dev/null; then
    pass discovery-secret-gone-after-live-portal
else
    fail discovery-secret-gone-after-live-portal "$(grep -rl disc-secret-31 /etc/iscsi "$MOOR_STATE_DIR" 2>&1)"
fi
flex unmount "$e" >/dev/null

# moord over its socket.
sock=$work/moord.sock
"$moord" --socket "$sock" --state-dir "$MOOR_STATE_DIR" >"$work/moord.log" 2>&1 &
moord_pid=$!
wait_for 10 test -S "$sock"
call() { curl -s --unix-socket "$sock" -XPOST -d "$2" "http://moor/VolumeDriver.$1"; }
call Create "{\"Name\":\"dl\",\"Opts\":{\"type\":\"iscsi\",\"portal\":\"127.0.0.1:3260\",\"iqn\":\"$iqn\",\"lun\":\"2\"}}" >/dev/null
mp=$(call Mount '{"Name":"dl","ID":"c1"}' | sed -n 's/.*"Mountpoint":"\([^"]*\)".*/\1/p')
if [[ -n $mp ]] && echo docker >"$mp/f" && [[ $(cat "$mp/f") == docker ]]; then pass moord-mount; else fail moord-mount; fi
call Unmount '{"Name":"dl","ID":"c1"}' >/dev/null
out=$(call Remove '{"Name":"dl"}')
[[ $out == *'"Err":""'* && $(sessions) == 0 ]] && pass moord-unmount-remove || fail moord-unmount-remove "$out, sessions $(sessions)"
kill "$moord_pid" 2>/dev/null

# The target stops: unmount still returns; a new mount fails within its timeout.
flex mount "$a" "$(lun 1 timeout=15)" >/dev/null || fail stop-setup
stop_tgtd
t=$(now); out=$("$moor" unmount "$a" 2>&1); took=$(elapsed "$t")
echo "TIMING unmount-after-target-stopped ${took}s"
if awk -v t="$took" 'BEGIN{exit !(t < 90)}'; then pass unmount-with-dead-target; else
    fail unmount-with-dead-target "$out in ${took}s"; tail -n 12 "$MOOR_LOG"; cat /sys/class/iscsi_session/*/recovery_tmo /sys/class/iscsi_session/*/state 2>&1; fi
t=$(now); out=$("$moor" mount "$b" "$(lun 2 timeout=10)" 2>&1); took=$(elapsed "$t")
echo "TIMING mount-with-dead-target ${took}s"
if [[ $out == *Failure* ]] && awk -v t="$took" 'BEGIN{exit !(t < 15)}'; then pass mount-with-dead-target-fails-in-time; else fail mount-with-dead-target-fails-in-time "$out in ${took}s"; fi
finish
