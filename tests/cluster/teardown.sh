# The test cluster leaves nothing behind (issue 8, item 1): after COMMAND
# ends, after it fails, and when the script is interrupted in the middle of a
# job (ranks running on the hosts), its namespaces, processes, mounts and
# directory are gone.
#   bash teardown.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
. "$(dirname "$0")/lib.sh"

# leftovers DIR: what a cluster whose directory was DIR left behind.
leftovers() {
    local id=${1##*.}
    ip netns list | grep -e "tcb-$id-" || true
    grep -e "$1" /proc/mounts || true
    pgrep -af -- "$1" || true # munged, slurmd, ranks...
    [ ! -e "$1" ] || echo "$1 still exists"
}

# The cluster's directory, as COMMAND saw it.
in_cluster --slurm -- sh -c 'echo "$TCB_CLUSTER_DIR"' >"$WORK/dir"
expect_eq "after a command that succeeded" "$(leftovers "$(cat "$WORK/dir")")" ""

st=0
in_cluster -- sh -c 'echo "$TCB_CLUSTER_DIR"; exit 7' >"$WORK/dir" || st=$?
expect_eq "a failing command's status" "$st" 7
expect_eq "after a command that failed" "$(leftovers "$(cat "$WORK/dir")")" ""

# Interrupted while ranks sleep on both hosts: SIGTERM, as timeout(1) and a
# CI runner's cancel send (a background job of a script ignores SIGINT, so
# Ctrl-C, which the same trap takes, cannot be sent from here).
"$CLUSTER" -- sh -c 'echo "$TCB_CLUSTER_DIR"; exec "$TCB_CLUSTER_MPIRUN" -n 4 sleep 300' \
    >"$WORK/dir" 2>"$WORK/err" &
cluster=$!
# Up when h2 runs its daemon and both of its ranks.
dir="" ranks=0
for _ in $(seq 1 200); do
    dir=$(cat "$WORK/dir")
    [ -z "$dir" ] || ranks=$(ip netns pids "tcb-${dir##*.}-h2" 2>/dev/null | wc -l)
    [ "$ranks" -ge 3 ] && break
    sleep 0.1
done
[ "$ranks" -ge 3 ] || { cat "$WORK/err"; fail "no ranks on h2 ($ranks processes) in 20 s"; }
kill -TERM $cluster
st=0
timeout 30 tail --pid=$cluster -f /dev/null || fail "the cluster did not end within 30 s of SIGTERM"
wait $cluster || st=$?
expect_eq "interrupted: status" "$st" 143
expect_eq "after an interrupt" "$(leftovers "$dir")" ""
pass "nothing left behind"
