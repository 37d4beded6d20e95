#!/bin/bash
# `moor doctor` inside the guest node, whose Debian kernel has what this
# machine's lacks: the NFS client and iscsi_tcp (loaded by guest-setup.sh),
# with iscsid running. Doctor must report them OK, in the text report and
# in --json, and its findings must match what the guest's kernel shows.
#   MOOR_BIN=... MOORD_BIN=... Tests/guest/run-in-guest.sh "$PWD/Tests/guest/doctor.sh"

if [[ -z ${MOOR_GUEST:-} ]]; then
    echo "doctor.sh runs inside the guest node: $(dirname "$0")/run-in-guest.sh $(cd "$(dirname "$0")" && pwd)/doctor.sh" >&2
    exit 2
fi
# shellcheck source=lib.sh
. "$MOOR_GUEST_DIR/lib.sh"

moor=${MOOR_BIN:?MOOR_BIN names the moor binary}
moord=${MOORD_BIN:?MOORD_BIN names the moord binary}
work=${TMPDIR:-/tmp}/doctor-test
rm -rf "$work"; mkdir -p "$work"
flags=(--state-dir "$work/state" --docker-socket "$work/moord.sock")

# moord, so the socket check has something real to ask.
"$moord" --socket "$work/moord.sock" --state-dir "$work/state" >"$work/moord.log" 2>&1 &
echo $! >"$work/moord.pid"
wait_for 60 test -S "$work/moord.sock" || fail moord-start "no socket; $(tail -5 "$work/moord.log")"

t=$(now)
"$moor" doctor "${flags[@]}" >"$work/report.txt" 2>"$work/stderr.txt"
text_status=$?
echo "TIMING doctor $(elapsed "$t")s"
echo "---- moor doctor (exit $text_status)"
cat "$work/report.txt"
echo "----"
json=$("$moor" doctor --json "${flags[@]}" 2>>"$work/stderr.txt")
json_status=$?

status_of() { jq -r --arg id "$1" '[.findings[] | select(.id == $id) | .status] | join(",")' <<<"$json"; }
expect_status() { # ID STATUS WHY
    local got
    got=$(status_of "$1")
    if [[ $got == "$2" ]]; then pass "$1-$2" "$3"; else fail "$1-$2" "doctor says '$got' ($3)"; fi
}

if jq -e '.version == 1' >/dev/null <<<"$json"; then pass json-parses; else fail json-parses "$json"; fi

# What the guest's kernel really offers, judged without moor.
if grep -qw nfs /proc/filesystems || [[ -d /sys/module/nfs ]]; then
    expect_status nfs.kernel-client ok "nfs is in /proc/filesystems"
else
    expect_status nfs.kernel-client problem "the guest kernel has no nfs"
fi
if [[ -d /sys/module/iscsi_tcp ]]; then
    expect_status iscsi.iscsi_tcp ok "/sys/module/iscsi_tcp exists"
else
    expect_status iscsi.iscsi_tcp problem "iscsi_tcp is not loaded"
fi
if grep -q '@ISCSIADM_ABSTRACT_NAMESPACE' /proc/net/unix; then
    expect_status iscsi.iscsid-running ok "iscsid listens"
else
    fail iscsi.iscsid-running "guest-setup.sh started no iscsid"
fi
# The guest loads no fuse module and has no static /dev nodes: libfuse would
# fail to open /dev/fuse, so doctor must call that a problem.
if [[ -c /dev/fuse ]]; then
    expect_status fuse.dev-fuse ok "/dev/fuse exists"
else
    expect_status fuse.dev-fuse problem "/dev/fuse does not exist"
fi
propagation=$(findmnt -no PROPAGATION -T "$work/state/mounts" 2>/dev/null)
if [[ $propagation == shared* ]]; then
    expect_status docker.mount-propagation ok "findmnt: $propagation"
else
    expect_status docker.mount-propagation problem "findmnt: $propagation"
fi
expect_status nfs.mount.nfs ok "nfs-common is installed"
expect_status iscsi.iscsiadm ok "open-iscsi is installed"
expect_status disk.loop ok "the loop module is loaded"
expect_status docker.moord ok "moord answers on $work/moord.sock"
expect_status state.writable ok "$work/state is on a tmpfs"

for backend in nfs iscsi; do
    if jq -e --arg b "$backend" '.backends[] | select(.backend == $b) | .usable' >/dev/null <<<"$json"; then
        pass "$backend-usable"
    else
        fail "$backend-usable" "$(jq -c --arg b "$backend" '.backends[] | select(.backend == $b)' <<<"$json")"
    fi
done
if grep -q '^nfs *usable on this node' "$work/report.txt" && grep -q '^iscsi *usable on this node' "$work/report.txt"; then
    pass text-report-says-usable
else
    fail text-report-says-usable
fi
problems=$(jq '.problems' <<<"$json")
if { ((problems == 0)) && ((json_status == 0)); } || { ((problems > 0)) && ((json_status == 1)); }; then
    pass exit-status "$json_status with $problems problem(s)"
else
    fail exit-status "exit $json_status with $problems problem(s)"
fi
[[ $text_status == "$json_status" ]] || fail same-status "text $text_status, json $json_status"
[[ -s $work/stderr.txt ]] && fail no-stderr "$(cat "$work/stderr.txt")"

_lib_kill "$work/moord.pid"
finish
