#!/bin/bash
# Stage 2 of the Moor guest node: PID 1 inside the QEMU guest, started by the
# initramfs (build-initramfs.sh) after switch_root into the overlay of the
# host root. It sets the node up (guest-setup.sh), runs the script named by
# moor.script= on the kernel command line, reports its exit status and
# powers the guest off.
#
# Reporting, read by run-in-guest.sh on the host:
#   - /moor-guest/results/status   the script's exit status (writable 9p share)
#   - /moor-guest/results/output   a copy of the script's output
#   - console lines MOOR-GUEST-SCRIPT-BEGIN / MOOR-GUEST-SCRIPT-END and
#     MOOR-GUEST-STATUS=<n> (the fallback when the share is unusable)
# Status 125: the node could not be set up; 124: the script ran past its
# deadline (moor.deadline_at=, epoch seconds) and was killed.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
umask 022
exec </dev/console >/dev/console 2>&1

MOOR_GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOOR_GUEST_RESULTS=/moor-guest/results
export MOOR_GUEST=1 MOOR_GUEST_DIR MOOR_GUEST_RESULTS

guest_arg() { # value of NAME=... on the kernel command line
    local w
    for w in $(</proc/cmdline); do
        case $w in "$1"=*) printf '%s\n' "${w#*=}"; return 0 ;; esac
    done
    return 1
}

guest_uptime() { local u; read -r u _ </proc/uptime; printf '%s\n' "$u"; }

guest_mounted() { # MOUNTPOINT (bash only: every exec costs under TCG)
    local _d mp _r
    [[ -r /proc/mounts ]] || return 1
    while read -r _d mp _r; do [[ $mp == "$1" ]] && return 0; done </proc/mounts
    return 1
}

have_results() { guest_mounted "$MOOR_GUEST_RESULTS"; }

guest_poweroff() {
    # No global sync: a dirty NFS mount whose server is gone would hang it.
    # The results share is cache=none, so its writes are already on the host.
    have_results && umount "$MOOR_GUEST_RESULTS" 2>/dev/null
    echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
    /bin/busybox poweroff -f
    sleep 3
    echo o >/proc/sysrq-trigger
    sleep 30
}

guest_report() { # STATUS [MESSAGE]
    [[ -n ${2:-} ]] && echo "MOOR-GUEST: $2"
    if have_results; then
        printf '%s\n' "$1" >"$MOOR_GUEST_RESULTS/status.tmp" &&
            mv -f "$MOOR_GUEST_RESULTS/status.tmp" "$MOOR_GUEST_RESULTS/status"
    fi
    echo "MOOR-GUEST-STATUS=$1"
    guest_poweroff
}

# Ends every process but PID 1 and the ones named: daemons a script leaves
# behind must not keep the output pipe open.
guest_kill_others() {
    local keep=" 1 $$ $* " p
    local -a pids=() alive=()
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ $keep == *" $p "* ]] && continue
        [[ -s /proc/$p/cmdline ]] || continue  # kernel threads
        pids+=("$p")
    done
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        alive=()
        for p in "${pids[@]}"; do [[ -d /proc/$p ]] && alive+=("$p"); done
        ((${#alive[@]})) || return 0
        sleep 0.3
    done
    kill -KILL "${alive[@]}" 2>/dev/null
}

guest_arg moor.trace >/dev/null && export MOOR_GUEST_TRACE=1
MOOR_GUEST_T_INIT=$(guest_uptime)
export MOOR_GUEST_T_INIT
echo "MOOR-GUEST: stage 2 at ${MOOR_GUEST_T_INIT}s after boot, kernel $(uname -r)"

script=$(guest_arg moor.script) || guest_report 125 "no moor.script= on the kernel command line"
[[ -r $script ]] || guest_report 125 "script $script is not readable in the guest"

# shellcheck source=guest-setup.sh
if ! source "$MOOR_GUEST_DIR/guest-setup.sh"; then
    guest_report 125 "guest-setup.sh failed"
fi

if have_results && [[ -r $MOOR_GUEST_RESULTS/env ]]; then
    set -a
    # shellcheck disable=SC1091
    source "$MOOR_GUEST_RESULTS/env"
    set +a
fi

deadline=0
if deadline_at=$(guest_arg moor.deadline_at); then
    deadline=$((deadline_at - ${EPOCHSECONDS:-$(date +%s)}))
    ((deadline > 0)) || deadline=1
fi
output=/dev/null
have_results && output=$MOOR_GUEST_RESULTS/output
: >"$output" 2>/dev/null || output=/dev/null

MOOR_GUEST_T_SCRIPT=$(guest_uptime)
export MOOR_GUEST_T_SCRIPT
echo "MOOR-GUEST: node ready at ${MOOR_GUEST_T_SCRIPT}s after boot"
echo "MOOR-GUEST-SCRIPT-BEGIN $script"
if [[ -x $script ]]; then run=("$script"); else run=(/bin/bash "$script"); fi
if ((deadline > 0)); then run=(timeout -k 10 "$deadline" "${run[@]}"); fi
(cd "${TMPDIR:-/tmp}" && exec "${run[@]}") > >(tee "$output") 2>&1 </dev/null
status=$?
teepid=$!
guest_kill_others "$teepid"
wait "$teepid" 2>/dev/null
if ((deadline > 0 && status == 124)); then
    echo "MOOR-GUEST: the script ran past its deadline of ${deadline}s and was killed"
fi
echo "MOOR-GUEST-SCRIPT-END status=$status at $(guest_uptime)s after boot"
guest_report "$status"
