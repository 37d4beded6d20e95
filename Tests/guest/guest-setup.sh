# shellcheck shell=bash
# Sourced by guest-init.sh (PID 1 in the QEMU guest) before the test script.
# Turns the overlay of the host root into a small node: kernel file systems,
# loopback plus the moor0 dummy interface, the NFS/iSCSI/loop/dm modules,
# udev (for /dev/disk/by-path) and iscsid. Returns non-zero only when the
# node is unusable; optional pieces just print a warning.
#
# Layout worth knowing in the guest:
#   /            overlay: host root (read-only 9p) + tmpfs upper (writable,
#                discarded at power-off; the host is never written)
#   /run         fresh tmpfs
#   /tmp         the host's /tmp through the overlay (host files readable,
#                writes stay in the guest)
#   /moor-guest/tmp  tmpfs, exported as TMPDIR: put NFS exports, backing
#                files and other scratch here (ganesha's VFS FSAL cannot
#                export a directory of the overlay: it needs file handles)
#   /moor-guest/results   writable 9p share of a host dir (status, output, env)

guest_warn() { echo "guest-setup: warning: $*"; }
guest_step() { [[ -n ${MOOR_GUEST_TRACE:-} ]] && echo "guest-setup: $(guest_uptime) $*"; return 0; }

guest_mount() { # TYPE SOURCE TARGET [OPTIONS]
    [[ -r /proc/mounts ]] && guest_mounted "$3" && return 0
    [[ -d $3 ]] || mkdir -p "$3"
    mount -t "$1" ${4:+-o "$4"} "$2" "$3"
}

guest_setup() {
    local t0 m
    t0=$(guest_uptime 2>/dev/null || echo 0)

    guest_mount proc proc /proc || { echo "guest-setup: failed at line $LINENO"; return 1; }
    guest_mount sysfs sysfs /sys || { echo "guest-setup: failed at line $LINENO"; return 1; }
    guest_mount devtmpfs devtmpfs /dev mode=0755 || { echo "guest-setup: failed at line $LINENO"; return 1; }
    guest_mount devpts devpts /dev/pts gid=5,mode=620,ptmxmode=666 || guest_warn "devpts"
    guest_mount tmpfs tmpfs /dev/shm mode=1777,nosuid,nodev || guest_warn "/dev/shm"
    guest_mount tmpfs tmpfs /run mode=0755,nosuid,nodev,size=20% || { echo "guest-setup: failed at line $LINENO"; return 1; }
    guest_mount tmpfs tmpfs /moor-guest/tmp mode=1777,nodev || { echo "guest-setup: failed at line $LINENO"; return 1; }
    guest_mount cgroup2 cgroup2 /sys/fs/cgroup nsdelegate || guest_warn "cgroup2"
    [[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
    [[ -e /dev/stdin ]] || ln -s /proc/self/fd/0 /dev/stdin
    [[ -e /dev/stdout ]] || ln -s /proc/self/fd/1 /dev/stdout
    [[ -e /dev/stderr ]] || ln -s /proc/self/fd/2 /dev/stderr
    mkdir -p /run/lock/iscsi /run/lock/subsys /run/rpcbind /run/tgtd /run/sshd \
        /run/ganesha /run/udev /run/moor /var/lib/nfs/ganesha
    chmod 1777 /run/lock
    hostname moor-guest 2>/dev/null

    guest_step mounted
    # Kernel modules (the host's /lib/modules is visible through 9p).
    # One modprobe for all (each exec costs under TCG); it goes on past a
    # module that fails, and /sys/module tells which ones are missing.
    modprobe -a -q dummy nfs nfsv3 nfsv4 iscsi_tcp sd_mod loop dm_mod dm_multipath ext4 2>/dev/null
    for m in dummy nfs nfsv3 nfsv4 iscsi_tcp sd_mod loop dm_mod dm_multipath ext4; do
        [[ -d /sys/module/$m ]] || guest_warn "module $m is not loaded"
    done
    guest_step modules
    # Network: no NIC. lo, plus a dummy interface holding a loopback-range
    # address: without a non-loopback interface glibc's
    # getaddrinfo(AI_ADDRCONFIG) finds no IPv4 at all, and rpcbind and
    # ganesha then fail.
    ip link set lo up || { echo "guest-setup: failed at line $LINENO"; return 1; }
    if ! ip link show moor0 >/dev/null 2>&1; then
        if ! { ip link add moor0 type dummy && ip addr add 127.0.0.2/8 dev moor0 &&
            ip link set moor0 up; }; then
            guest_warn "dummy interface moor0"
        fi
    fi

    guest_step network
    # udev, for /dev/disk/by-path and friends.
    if [[ -x /lib/systemd/systemd-udevd ]]; then
        /lib/systemd/systemd-udevd --daemon --resolve-names=never 2>/dev/null ||
            guest_warn "systemd-udevd did not start"
        # Only block devices: the links tests need (/dev/disk/by-*) are
        # theirs; a full trigger costs ~10 s under TCG.
        udevadm trigger --action=add --subsystem-match=block 2>/dev/null
        udevadm settle --timeout=60 || guest_warn "udevadm settle timed out"
    else
        guest_warn "no systemd-udevd (apt-get install udev): no /dev/disk/by-* links"
    fi

    guest_step udev
    # iSCSI initiator: a fresh node database, our own name, iscsid running.
    if command -v iscsid >/dev/null; then
        mkdir -p /etc/iscsi
        rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets /etc/iscsi/ifaces
        echo "InitiatorName=iqn.2026-01.io.moor:guest" >/etc/iscsi/initiatorname.iscsi
        if [[ -f /etc/iscsi/iscsid.conf ]]; then
            # iscsiadm would otherwise ask systemctl to start iscsid.
            sed -i 's|^iscsid.startup *=.*|iscsid.startup = /bin/true|' /etc/iscsi/iscsid.conf
        fi
        iscsid || guest_warn "iscsid did not start"
    fi

    guest_step iscsid
    export TMPDIR=/moor-guest/tmp
    MOOR_GUEST_T_SETUP=$(awk -v a="$t0" -v b="$(guest_uptime 2>/dev/null || echo 0)" 'BEGIN{printf "%.1f", b-a}')
    export MOOR_GUEST_T_SETUP
    echo "guest-setup: node set up in ${MOOR_GUEST_T_SETUP}s"
    return 0
}

[[ -n ${MOOR_GUEST_TRACE:-} ]] && { PS4='+ ${EPOCHREALTIME} '; set -x; }
guest_setup
guest_setup_status=$?
set +x
# The status of the last command is what `source` returns.
((guest_setup_status == 0))
