# Shared by the test-cluster tests: tests/mpi/lib.sh's helpers and arguments,
# and in_cluster, which runs a command on a fresh cluster (tests/cluster/cluster).
#   bash TEST.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
. "$(dirname "${BASH_SOURCE[0]}")/../mpi/lib.sh"
CLUSTER=$TESTS/cluster/cluster

# in_cluster [cluster options] -- COMMAND...: COMMAND's status. Where no
# cluster can be made here, the test is skipped (exit 77, CTest's skip), with
# the reason the cluster script gave.
in_cluster() {
    local st=0
    timeout -k 10 600 "$CLUSTER" "$@" || st=$?
    if [ "$st" -eq 77 ]; then
        echo "test skipped: the test cluster cannot run here" >&2
        exit 77
    fi
    return "$st"
}
