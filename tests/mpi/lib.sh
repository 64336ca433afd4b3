# Shared by the MPI integration tests. Each test script is run by CTest as
#   bash TEST.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
set -euo pipefail
TCBENCH=$1
CHECK=$2
MPIEXEC=$3
TESTS=$4
SUITES=$TESTS/mpi/suites
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcb-mpi-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OMPI_MCA_rmaps_base_oversubscribe=1

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# has PATTERN: some line of stdin matches PATTERN (grep -e). It reads stdin
# to the end: `grep -q` stops at the first match, and under pipefail the
# writer it leaves, killed by SIGPIPE, fails the pipeline when it happens to
# still be writing.
has() { local text; text=$(cat); grep -q -e "$1" <<<"$text"; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" == "$3" ] || fail "$1: got '$2', want '$3'"; pass "$1 = $3"; }

# run_status VAR CMD...: runs CMD under a hard time limit, its status into VAR.
# A hang is a failure of its own (status 124), never a stuck test.
run_status() {
    local __var=$1; shift
    local __st=0
    timeout -k 5 120 "$@" || __st=$?
    printf -v "$__var" '%d' "$__st"
}
