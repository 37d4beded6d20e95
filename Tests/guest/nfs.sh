#!/bin/bash
# moor's NFS backend with the real kernel NFS client, inside the guest node:
# ganesha serves on the guest's loopback; moor and moord (MOOR_BIN,
# MOORD_BIN, handed in by run-in-guest.sh) mount its export as kubelet and
# dockerd would drive them. One PASS/FAIL line per behaviour, TIMING lines.
#   MOOR_BIN=... MOORD_BIN=... Tests/guest/run-in-guest.sh "$PWD/Tests/guest/nfs.sh"

if [[ -z ${MOOR_GUEST:-} ]]; then
    echo "nfs.sh runs inside the guest node: $(dirname "$0")/run-in-guest.sh $(cd "$(dirname "$0")" && pwd)/nfs.sh" >&2
    exit 2
fi
# shellcheck source=lib.sh
. "$MOOR_GUEST_DIR/lib.sh"

moor=${MOOR_BIN:?MOOR_BIN names the moor binary}
moord=${MOORD_BIN:?MOORD_BIN names the moord binary}
work=${TMPDIR:-/tmp}/nfs-test
rm -rf "$work"; mkdir -p "$work/export" "$work/pods"
export MOOR_STATE_DIR=$work/state MOOR_LOG=$work/moor.log MOOR_POLICY=$work/policy.json
export_dir=$work/export
start_ganesha "$export_dir" >/dev/null || { fail ganesha "did not start"; finish; }

# The JSON kubelet passes: sorted keys of a map[string]string (no escaping needed here).
flex_json() { # KEY=VALUE...
    local pairs=() kv
    for kv in "kubernetes.io/fsType=" "kubernetes.io/pvOrVolumeName=pv-nfs" "kubernetes.io/readwrite=rw" "$@"; do
        pairs+=("$(printf '"%s":"%s"' "${kv%%=*}" "${kv#*=}")")
    done
    local IFS=,
    printf '{%s}' "$(printf '%s\n' "${pairs[@]}" | sort | paste -sd, -)"
}

flex() { # CALL ARGS... : runs moor, prints its output, succeeds on "Success"
    local out
    out=$("$moor" "$@" 2>&1)
    echo "$out"
    [[ $out == *'"status":"Success"'* ]]
}

pod() { mkdir -p "$work/pods/$1"; echo "$work/pods/$1"; }
# mountinfo lines whose file system type (the field after " - ") is nfs or nfs4.
nfs_mounts() { awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) ~ /^nfs4?$/) print; break } }' /proc/self/mountinfo; }
staging_nfs() { nfs_mounts | awk -v root="$MOOR_STATE_DIR/staging/" 'index($5, root) == 1' | wc -l; }

two_pods() { # NAME VERSION SHARE
    local name=$1 version=$2 share=$3 a b t dev_a dev_b
    a=$(pod "$name-a"); b=$(pod "$name-b")
    local json
    json=$(flex_json type=nfs server=127.0.0.1 "share=$share" "version=$version" "subdir=$name" createSubdir=true)
    t=$(now)
    flex mount "$a" "$json" || { fail "$name" "first mount failed"; return; }
    echo "TIMING $name first-consumer-mount $(elapsed "$t")s"
    flex mount "$b" "$json" >/dev/null || { fail "$name" "second mount failed"; return; }
    dev_a=$(awk -v p="$a" '$5 == p {print $3}' /proc/self/mountinfo)
    dev_b=$(awk -v p="$b" '$5 == p {print $3}' /proc/self/mountinfo)
    if [[ $(staging_nfs) == 1 && -n $dev_a && $dev_a == "$dev_b" ]]; then
        pass "$name-one-kernel-mount-two-binds"
    else
        fail "$name-one-kernel-mount-two-binds" "staging nfs mounts: $(staging_nfs), devices $dev_a / $dev_b"
    fi
    echo "written through a over $version" >"$a/file"
    if [[ $(cat "$b/file" 2>/dev/null) == "written through a over $version" &&
          $(cat "$export_dir/$name/file" 2>/dev/null) == "written through a over $version" ]]; then
        pass "$name-data-shared"
    else
        fail "$name-data-shared" "b sees '$(cat "$b/file" 2>&1)', the export holds '$(cat "$export_dir/$name/file" 2>&1)'"
    fi
    flex unmount "$a" >/dev/null
    if [[ $(staging_nfs) == 1 ]]; then pass "$name-staging-kept-for-b"; else fail "$name-staging-kept-for-b"; fi
    flex unmount "$b" >/dev/null
    if [[ $(nfs_mounts | wc -l) == 0 ]]; then pass "$name-released"; else fail "$name-released" "$(nfs_mounts)"; fi
}

two_pods nfs-v3 3 "$export_dir"
two_pods nfs-v41 4.1 /export1

# The tenth consumer of a staged share costs a bind mount.
json=$(flex_json type=nfs server=127.0.0.1 share=/export1 version=4.1)
for i in $(seq 1 10); do
    p=$(pod "ten-$i"); t=$(now)
    flex mount "$p" "$json" >/dev/null || fail "ten-consumers" "mount $i failed"
    [[ $i == 1 || $i == 10 ]] && echo "TIMING nfs consumer-$i mount $(elapsed "$t")s"
done
for i in $(seq 1 10); do flex unmount "$work/pods/ten-$i" >/dev/null; done
if [[ $(nfs_mounts | wc -l) == 0 ]]; then pass ten-consumers; else fail ten-consumers "$(nfs_mounts)"; fi

# A symlink on the server's side never leads out of the share: a subdir that
# is one (evil -> /etc), or passes through one (hop -> real), is refused,
# and the node's /etc is never bound into the pod.
ln -s /etc "$export_dir/evil"
mkdir -p "$export_dir/real/inner"; ln -s real "$export_dir/hop"
p=$(pod evil)
for subdir in evil hop/inner evil/ssh; do
    out=$("$moor" mount "$p" "$(flex_json type=nfs server=127.0.0.1 "share=$export_dir" version=3 "subdir=$subdir")" 2>&1)
    if [[ $out == *Failure* && $out == *"symbolic link"* && ! -e $p/passwd && $(nfs_mounts | wc -l) == 0 ]]; then
        pass "nfs-subdir-through-symlink-refused-$subdir"
    else
        fail "nfs-subdir-through-symlink-refused-$subdir" "$out; $(ls "$p"); $(nfs_mounts)"
    fi
done
flex mount "$p" "$(flex_json type=nfs server=127.0.0.1 "share=$export_dir" version=3 subdir=real/inner)" >/dev/null &&
    [[ $(nfs_mounts | wc -l) == 2 ]] && pass nfs-plain-nested-subdir-mounts || fail nfs-plain-nested-subdir-mounts
flex unmount "$p" >/dev/null

# moord over its socket: a per-volume directory, Mount, Unmount, Remove (onRemove=delete).
sock=$work/moord.sock
"$moord" --socket "$sock" --state-dir "$MOOR_STATE_DIR" >"$work/moord.log" 2>&1 &
moord_pid=$!
wait_for 10 test -S "$sock"
call() { curl -s --unix-socket "$sock" -XPOST -d "$2" "http://moor/VolumeDriver.$1"; }
call Create "{\"Name\":\"evil\",\"Opts\":{\"type\":\"nfs\",\"server\":\"127.0.0.1\",\"share\":\"$export_dir\",\"version\":\"3\",\"subdir\":\"evil\"}}" >/dev/null
out=$(call Mount '{"Name":"evil","ID":"c1"}')
if [[ $out == *"symbolic link"* && $out != *'"Mountpoint":"/'* && $(nfs_mounts | wc -l) == 0 ]]; then
    pass moord-nfs-subdir-symlink-refused
else
    fail moord-nfs-subdir-symlink-refused "$out"
fi
call Remove '{"Name":"evil"}' >/dev/null
[[ -L $export_dir/evil ]] && pass symlink-left-untouched || fail symlink-left-untouched
out=$(call Create '{"Name":"dvol","Opts":{"type":"nfs","server":"127.0.0.1","share":"/export1","version":"4.1","onRemove":"delete"}}')
[[ $out == *'"Err":""'* ]] || fail moord-create "$out"
out=$(call Mount '{"Name":"dvol","ID":"c1"}')
mp=$(sed -n 's/.*"Mountpoint":"\([^"]*\)".*/\1/p' <<<"$out")
if [[ -n $mp ]] && echo "from a container" >"$mp/f" && [[ $(cat "$export_dir/dvol/f" 2>/dev/null) == "from a container" ]]; then
    pass moord-mount-per-volume-subdir
else
    fail moord-mount-per-volume-subdir "$out"
fi
call Unmount '{"Name":"dvol","ID":"c1"}' >/dev/null
out=$(call Remove '{"Name":"dvol"}')
if [[ $out == *'"Err":""'* && ! -e $export_dir/dvol && $(nfs_mounts | wc -l) == 0 ]]; then
    pass moord-remove-deletes-subdir
else
    fail moord-remove-deletes-subdir "$out; export: $(ls "$export_dir")"
fi

# moor migrate: a Docker local-driver NFS volume moves to moor and shows the
# same data. The legacy mount is what dockerd's local driver makes of
# `-o type=nfs -o o=addr=127.0.0.1,nfsvers=4.1 -o device=:/export1`.
mkdir -p "$work/legacy"
if mount -t nfs -o nfsvers=4.1 127.0.0.1:/export1 "$work/legacy" && echo "written before the move" >"$work/legacy/legacy-file" && umount "$work/legacy"; then
    cat >"$work/inspect.json" <<'JSON'
[{"CreatedAt": "2026-11-20T10:00:00Z", "Driver": "local", "Labels": {"app": "shop"},
  "Mountpoint": "/var/lib/docker/volumes/legacy/_data", "Name": "legacy",
  "Options": {"device": ":/export1", "o": "addr=127.0.0.1,nfsvers=4.1", "type": "nfs"}, "Scope": "local"}]
JSON
    # The printed command, run as a shell would split it, sent to moord as dockerd would.
    command=$("$moor" migrate docker --output commands "$work/inspect.json")
    eval "words=($command)"
    opts="" next=""
    for w in "${words[@]}"; do
        if [[ $next == o ]]; then opts+="${opts:+,}\"${w%%=*}\":\"${w#*=}\""; fi
        next=""; [[ $w == -o ]] && next=o
    done
    out=$(call Create "{\"Name\":\"legacy\",\"Opts\":{$opts}}")
    out+=$(call Mount '{"Name":"legacy","ID":"m1"}')
    mp=$(sed -n 's/.*"Mountpoint":"\([^"]*\)".*/\1/p' <<<"$out")
    if [[ ${words[-1]} == legacy && -n $mp && $(cat "$mp/legacy-file" 2>/dev/null) == "written before the move" ]]; then
        pass migrate-docker-local-nfs-same-data-through-moord
    else
        fail migrate-docker-local-nfs-same-data-through-moord "command: $command; moord: $out"
    fi
    call Unmount '{"Name":"legacy","ID":"m1"}' >/dev/null
    call Remove '{"Name":"legacy"}' >/dev/null
    # The PersistentVolume it printed, mounted by kubelet's driver: the same file.
    manifest=$("$moor" migrate docker --output manifests "$work/inspect.json")
    server=$(awk '$1 == "server:" {print $2}' <<<"$manifest")
    share=$(awk '$1 == "share:" {print $2}' <<<"$manifest")
    version=$(awk '$1 == "version:" {gsub("\x27", "", $2); print $2}' <<<"$manifest")
    p=$(pod migrated)
    if flex mount "$p" "$(flex_json type=nfs "server=$server" "share=$share" "version=$version")" >/dev/null &&
        [[ $(cat "$p/legacy-file" 2>/dev/null) == "written before the move" ]]; then
        pass migrate-docker-local-nfs-same-data-through-flexvolume
    else
        fail migrate-docker-local-nfs-same-data-through-flexvolume "manifest: $manifest"
    fi
    flex unmount "$p" >/dev/null
    rm -f "$export_dir/legacy-file"
else
    fail migrate-docker-local-nfs "the legacy mount did not work"
fi
kill "$moord_pid" 2>/dev/null

# The server dies while mounted: unmount still returns, within its deadline.
p=$(pod dying)
json=$(flex_json type=nfs server=127.0.0.1 share=/export1 version=4.1 timeout=10)
flex mount "$p" "$json" >/dev/null || fail server-dies "mount failed"
stop_ganesha
t=$(now)
out=$(flex unmount "$p")
took=$(elapsed "$t")
echo "TIMING unmount-after-server-died ${took}s"
if [[ $out == *Success* ]] && awk -v t="$took" 'BEGIN{exit !(t < 60)}' && [[ $(nfs_mounts | wc -l) == 0 ]]; then
    pass unmount-with-dead-server
else
    fail unmount-with-dead-server "$out in ${took}s; left: $(nfs_mounts)"
fi
t=$(now)
out=$("$moor" mount "$(pod after)" "$json" 2>&1)
took=$(elapsed "$t")
echo "TIMING mount-with-dead-server ${took}s"
if [[ $out == *Failure* && $out == *"not usable"* ]] && awk -v t="$took" 'BEGIN{exit !(t < 10)}'; then
    pass mount-with-dead-server-fails-in-time
else
    fail mount-with-dead-server-fails-in-time "$out in ${took}s"
fi
finish
