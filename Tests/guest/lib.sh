# shellcheck shell=bash
# Helpers for scripts that run inside the Moor guest node (run-in-guest.sh).
# Source it:   . "$MOOR_GUEST_DIR/lib.sh"
#
# Results:   pass NAME [NOTE]    prints "PASS NAME"
#            fail NAME [WHY]     prints "FAIL NAME: WHY", marks the run failed
#            check NAME CMD...   runs CMD (output kept), pass/fail by its status
#            finish              prints a summary and exits 1 if anything failed
# Timing:    t=$(now); ...; elapsed "$t"   -> seconds, e.g. 2.61
# Waiting:   wait_for SECONDS CMD...        polls CMD every 0.2 s
#            port_listening PORT            a TCP socket listens on PORT
# NFS:       start_ganesha EXPORT_DIR       rpcbind + ganesha exporting
#                                           EXPORT_DIR over v3 and v4; prints
#                                           ganesha's pid. NFSv4 mounts the
#                                           pseudo path 127.0.0.1:/export1,
#                                           NFSv3 the real path
#                                           127.0.0.1:EXPORT_DIR (ganesha's
#                                           default, as with the kernel nfsd)
#            stop_ganesha
# iSCSI:     start_tgtd                     tgtd on 127.0.0.1:3260; prints its pid
#            add_lun TID IQN LUN FILE [CHAP_USER CHAP_PASS]
#            stop_tgtd
# Call pass/fail/check in the script's own shell, not inside $(...): the
# counters live in shell variables.
# Daemons log to $MOOR_LIB_STATE/*.log; on failure the helpers print the
# end of the log. EXPORT_DIR must be on a tmpfs such as $TMPDIR
# (/moor-guest/tmp), not on the overlay of the host root.

MOOR_LIB_STATE=${MOOR_LIB_STATE:-/run/moor/lib}
mkdir -p "$MOOR_LIB_STATE"
MOOR_LIB_STATUS=${MOOR_LIB_STATUS:-0}
MOOR_LIB_PASSED=${MOOR_LIB_PASSED:-0}
MOOR_LIB_FAILED=${MOOR_LIB_FAILED:-0}

now() { printf '%s\n' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f\n", b-a}'; }

pass() {
    echo "PASS $1${2:+ ($2)}"
    MOOR_LIB_PASSED=$((MOOR_LIB_PASSED + 1))
    return 0
}

fail() {
    echo "FAIL $1${2:+: $2}"
    MOOR_LIB_FAILED=$((MOOR_LIB_FAILED + 1))
    MOOR_LIB_STATUS=1
    return 1
}

# check NAME CMD...: the command's output is shown; its status decides.
check() {
    local name=$1 rc
    shift
    "$@"
    rc=$?
    if ((rc == 0)); then pass "$name"; else fail "$name" "exit $rc from: $*"; fi
    return $rc
}

finish() {
    echo "guest summary: PASS=$MOOR_LIB_PASSED FAIL=$MOOR_LIB_FAILED"
    exit "$MOOR_LIB_STATUS"
}

wait_for() { # SECONDS CMD...
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS >= end)) && return 1
        sleep 0.2
    done
}

port_listening() { # PORT (TCP, IPv4 or IPv6, any address)
    local hex
    printf -v hex '%04X' "$1"
    grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

_lib_pid_alive() { # PID: running (a zombie is not)
    local stat
    [[ -n ${1:-} ]] && read -r stat 2>/dev/null </proc/"$1"/stat || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

_lib_kill() { # PIDFILE: TERM, then KILL after 10 s
    local pid
    [[ -s $1 ]] || return 0
    pid=$(<"$1")
    rm -f "$1"
    _lib_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    wait_for 10 eval "! _lib_pid_alive $pid" || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

_lib_log_tail() { # LOG
    [[ -s $1 ]] || return 0
    echo "---- last lines of $1"
    tail -n 20 "$1"
    echo "----"
}

start_ganesha() { # EXPORT_DIR
    local dir=$1 st=$MOOR_LIB_STATE pid
    [[ -d $dir ]] || { echo "start_ganesha: no directory $dir" >&2; return 1; }
    if ! port_listening 111; then
        mkdir -p /run/rpcbind
        # No -h: the guest has no NIC, so every address is its own loopback.
        rpcbind -f -w >"$st/rpcbind.log" 2>&1 &
        echo $! >"$st/rpcbind.pid"
        if ! wait_for 20 port_listening 111; then
            echo "start_ganesha: rpcbind did not listen on port 111" >&2
            _lib_log_tail "$st/rpcbind.log" >&2
            return 1
        fi
    fi
    mkdir -p /var/lib/nfs/ganesha /run/ganesha
    cat >"$st/ganesha.conf" <<EOF
NFS_CORE_PARAM {
    Protocols = 3, 4;
    NFS_Port = 2049;
    MNT_Port = 20048;
    Enable_NLM = false;
    Enable_RQUOTA = false;
}
NFSV4 { Graceless = true; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
    Export_Id = 1;
    Path = $dir;
    Pseudo = /export1;
    Access_Type = RW;
    Squash = No_Root_Squash;
    Protocols = 3, 4;
    Transports = TCP;
    SecType = sys;
    FSAL { Name = VFS; }
}
EOF
    ganesha.nfsd -F -f "$st/ganesha.conf" -L "$st/ganesha.log" -p "$st/ganesha.pidfile" -N NIV_WARN \
        >"$st/ganesha.out" 2>&1 &
    pid=$!
    echo "$pid" >"$st/ganesha.pid"
    wait_for 60 eval "port_listening 2049 || ! _lib_pid_alive $pid"
    if ! _lib_pid_alive "$pid" || ! port_listening 2049; then
        echo "start_ganesha: ganesha did not listen on port 2049" >&2
        _lib_log_tail "$st/ganesha.log" >&2
        _lib_log_tail "$st/ganesha.out" >&2
        _lib_kill "$st/ganesha.pid"
        return 1
    fi
    echo "$pid"
}

stop_ganesha() {
    _lib_kill "$MOOR_LIB_STATE/ganesha.pid"
    _lib_kill "$MOOR_LIB_STATE/rpcbind.pid"
}

start_tgtd() {
    local st=$MOOR_LIB_STATE pid
    mkdir -p /run/tgtd
    tgtd -f --iscsi portal=127.0.0.1:3260 >"$st/tgtd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$st/tgtd.pid"
    wait_for 30 eval "! _lib_pid_alive $pid || (port_listening 3260 && tgtadm --lld iscsi --op show --mode target >/dev/null 2>&1)"
    if ! _lib_pid_alive "$pid" || ! port_listening 3260; then
        echo "start_tgtd: tgtd did not come up on 127.0.0.1:3260" >&2
        _lib_log_tail "$st/tgtd.log" >&2
        _lib_kill "$st/tgtd.pid"
        return 1
    fi
    echo "$pid"
}

add_lun() { # TID IQN LUN FILE [CHAP_USER CHAP_PASS]
    local tid=$1 iqn=$2 lun=$3 file=$4 user=${5:-} pass=${6:-}
    [[ -e $file ]] || { echo "add_lun: no backing file $file" >&2; return 1; }
    if ! tgtadm --lld iscsi --op show --mode target | grep -q "^Target $tid: "; then
        tgtadm --lld iscsi --op new --mode target --tid "$tid" -T "$iqn" || return 1
        tgtadm --lld iscsi --op bind --mode target --tid "$tid" -I ALL || return 1
    fi
    tgtadm --lld iscsi --op new --mode logicalunit --tid "$tid" --lun "$lun" -b "$file" || return 1
    if [[ -n $user ]]; then
        if ! tgtadm --lld iscsi --op show --mode account | grep -qxE "[[:space:]]*$user"; then
            tgtadm --lld iscsi --op new --mode account --user "$user" --password "$pass" || return 1
        fi
        # Bind once per target (the target's "Account information" lists it).
        if ! tgtadm --lld iscsi --op show --mode target | awk -v tid="$tid" -v user="$user" '
            /^Target / { on = ($2 == tid ":") ; acc = 0; next }
            on && /Account information:/ { acc = 1; next }
            on && /ACL information:/ { acc = 0 }
            on && acc && $1 == user { found = 1 }
            END { exit !found }'; then
            tgtadm --lld iscsi --op bind --mode account --tid "$tid" --user "$user" || return 1
        fi
    fi
}

stop_tgtd() {
    local pidfile=$MOOR_LIB_STATE/tgtd.pid
    [[ -s $pidfile ]] || return 0
    # tgtd ignores SIGTERM while it has targets: take it offline, delete
    # every target (--force: even with sessions), then ask it to exit.
    local tid
    tgtadm --op update --mode sys --name State -v offline >/dev/null 2>&1
    for tid in $(tgtadm --lld iscsi --op show --mode target 2>/dev/null | sed -n 's/^Target \([0-9]*\): .*/\1/p'); do
        tgtadm --lld iscsi --op delete --mode target --tid "$tid" --force >/dev/null 2>&1
    done
    tgtadm --op delete --mode system >/dev/null 2>&1
    _lib_kill "$pidfile"
}
