#!/usr/bin/env bash
# Runs a script as root inside a QEMU guest that boots Debian's kernel, for
# what this machine's kernel cannot do (kernel NFS client, iscsi_tcp).
#
#   run-in-guest.sh SCRIPT [TIMEOUT_SECONDS]
#
# SCRIPT is an absolute host path: the guest sees the host root read-only
# (through 9p, with a throwaway tmpfs overlay on top), so the script, the
# package's build products and Tests/guest/lib.sh are all at the same paths.
# The guest console streams to stdout; the script's own output is between
# the lines MOOR-GUEST-SCRIPT-BEGIN and MOOR-GUEST-SCRIPT-END. Exits with
# the script's status; 124 when the guest had to be killed at TIMEOUT
# (default 600), 125 when the node did not come up, 126 for bad usage or a
# missing prerequisite on the host.
#
# Environment:
#   MOOR_GUEST_ENV="NAME ..."   extra variables to hand to the script; every
#                               variable whose name starts with MOOR_ is
#                               handed over too (except MOOR_GUEST_*).
#   MOOR_GUEST_OUTDIR=DIR       use DIR (created if missing) as the writable
#                               share, mounted at /moor-guest/results in the
#                               guest, and keep it: status, output (the
#                               script's), console.log, qemu.log, env, plus
#                               whatever the script writes there. Default: a
#                               temp dir removed at exit.
#   MOOR_GUEST_KERNEL=KVER      boot this kernel instead of the newest one.
#   MOOR_GUEST_MEMORY=MiB       guest memory (2048).
#   MOOR_GUEST_CPUS=N           guest CPUs (2).
#   MOOR_GUEST_QEMU_ARGS="..."  extra qemu arguments (word-split).
#   MOOR_GUEST_CACHE=DIR        where the initramfs is cached (.build-guest).
#   MOOR_GUEST_TRACE=1          trace the node's set-up (set -x with times).
#   MOOR_GUEST_APPEND="..."     extra kernel arguments, e.g. loglevel=7 to see
#                               the kernel's NFS/iSCSI notices on the console
#                               (the default, quiet, shows errors only).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { echo "usage: $0 /absolute/path/to/script [timeout-seconds]" >&2; exit 126; }
die() { echo "run-in-guest: $*" >&2; exit 126; }

(($# >= 1 && $# <= 2)) || usage
script=$1
timeout=${2:-600}
[[ $script == /* ]] || die "SCRIPT must be an absolute path: $script"
[[ -r $script ]] || die "cannot read $script"
[[ $script != *[[:space:]]* ]] || die "SCRIPT's path must not contain white space (it goes on the kernel command line)"
[[ $timeout =~ ^[0-9]+$ && $timeout -ge 30 ]] || die "TIMEOUT must be a number of seconds >= 30"
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
[[ $(id -u) == 0 ]] || die "must run as root (the guest reads the whole host root through 9p)"

t_start=$(date +%s.%N)
initrd=$("$here/build-initramfs.sh" ${MOOR_GUEST_KERNEL:+"$MOOR_GUEST_KERNEL"}) || die "building the initramfs failed"
kver=$(basename "$initrd" .cpio); kver=${kver#initramfs-}; kver=${kver%-*}
kernel=/boot/vmlinuz-$kver

if [[ -n ${MOOR_GUEST_OUTDIR:-} ]]; then
    rundir=$MOOR_GUEST_OUTDIR
    mkdir -p "$rundir" || die "cannot create $rundir"
    rundir=$(cd "$rundir" && pwd)
    keep=1
else
    rundir=$(mktemp -d "${TMPDIR:-/tmp}/moor-guest.XXXXXX") || die "mktemp failed"
    keep=0
fi
rm -f "$rundir/status" "$rundir/output" "$rundir/console.log" "$rundir/env"

# Variables for the script, as a file the guest sources.
{
    names=" ${MOOR_GUEST_ENV:-} "
    while IFS= read -r n; do names+="$n "; done < <(compgen -v MOOR_ | grep -v '^MOOR_GUEST_')
    for n in $names; do
        [[ $n =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        [[ -v $n ]] || continue
        printf '%s=%q\n' "$n" "${!n}"
    done
} >"$rundir/env"

qemu_pid=""
tail_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill -TERM "$qemu_pid" 2>/dev/null
        sleep 1
        kill -KILL "$qemu_pid" 2>/dev/null
    fi
    [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null
    ((keep)) || rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The guest kills the script itself a little before the host kills the
# guest, so that a hung script still reports its status and output.
# Sent as an epoch time: the guest's clock starts from the host's (RTC).
margin=$((timeout / 4 < 30 ? timeout / 4 : 30))
deadline=$(($(date +%s) + timeout - margin))
append="console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off"
append+=" moor.init=$here/guest-init.sh moor.script=$script moor.deadline_at=$deadline"
[[ -n ${MOOR_GUEST_TRACE:-} ]] && append+=" moor.trace=1"
[[ -n ${MOOR_GUEST_APPEND:-} ]] && append+=" $MOOR_GUEST_APPEND"

console=$rundir/console.log
: >"$console"
# shellcheck disable=SC2086
"$qemu" -accel tcg -m "${MOOR_GUEST_MEMORY:-2048}" -smp "${MOOR_GUEST_CPUS:-2}" \
    -nographic -no-reboot -nic none -vga none -monitor none -serial file:"$console" \
    -kernel "$kernel" -initrd "$initrd" -append "$append" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs local,path="$rundir",mount_tag=results,security_model=passthrough,multidevs=remap \
    ${MOOR_GUEST_QEMU_ARGS:-} </dev/null >"$rundir/qemu.log" 2>&1 &
qemu_pid=$!

echo "run-in-guest: kernel $kver, script $script, timeout ${timeout}s"
# Stream the console (the kernel writes CR LF).
tail -n +1 -s 0.2 -f --pid="$qemu_pid" "$console" | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' &
tail_pid=$!

# Wait for the guest, killing it at the deadline. A polling loop rather
# than a background watchdog: nothing may keep our stdout open after we exit.
timed_out=0
SECONDS=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    if ((SECONDS >= timeout)); then
        timed_out=1
        kill -TERM "$qemu_pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$qemu_pid" 2>/dev/null
        break
    fi
    sleep 1
done
wait "$qemu_pid"
qemu_status=$?
qemu_pid=""
wait "$tail_pid" 2>/dev/null
tail_pid=""

t_total=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
status=""
if [[ -s $rundir/status ]]; then
    status=$(<"$rundir/status")
else
    # The share is unusable: the marker line on the console is the fallback.
    status=$(tr -d '\r' <"$console" | sed -n 's/^MOOR-GUEST-STATUS=\([0-9][0-9]*\)$/\1/p' | tail -n 1)
fi
if [[ ! $status =~ ^[0-9]+$ ]] && ((timed_out)); then
    echo "run-in-guest: FAILED: the guest did not finish within ${timeout}s and was killed" >&2
    exit 124
fi
if ((timed_out)); then
    echo "run-in-guest: warning: the script finished but the guest did not power off within ${timeout}s" >&2
fi
if [[ ! $status =~ ^[0-9]+$ ]]; then
    echo "run-in-guest: FAILED: the guest stopped without reporting a status (qemu exit $qemu_status)" >&2
    sed 's/^/run-in-guest: qemu: /' "$rundir/qemu.log" >&2
    exit 125
fi
if ((status == 124)) && grep -q 'ran past its deadline' "$console"; then
    echo "run-in-guest: FAILED: the script did not finish in time and was killed in the guest (timeout ${timeout}s)" >&2
fi
echo "run-in-guest: script exited with status $status; guest run took ${t_total}s"
exit "$status"
