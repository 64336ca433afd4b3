# The nccl comm backend on 2 ranks, a CUDA device each: every collective of
# suites/nccl.yaml verified and timed, the in-place forms NCCL lacks recorded
# as skipped, NCCL_* in run.json. Exits 77 (CTest: skipped) where tcbench has
# no nccl backend or the machine no CUDA device per rank.
#
# Not covered: the abort at a case's timeout. No suite makes NCCL hang
# deterministically (every rank enters every collective), and where it would,
# rank 0's watchdog writes the `timeout` record and ends the job before the
# backend's own poll gives up (mpi_timeout.sh covers that record).
. "$(dirname "$0")/lib.sh"
NP=2
skip() { echo "SKIP: $*"; exit 77; }

# run_long VAR CMD...: run_status with room for a communicator per case.
run_long() {
    local __var=$1; shift
    local __st=0
    timeout -k 5 400 "$@" || __st=$?
    printf -v "$__var" '%d' "$__st"
}

"$TCBENCH" list | has '^  nccl ' || skip "tcbench was built without the nccl backend"

# The probe goes the real way (device per rank, NCCL init, one verified
# collective): a GPU that nvidia-smi lists can still lack a working driver.
cat >"$WORK/probe.yaml" <<'EOF'
name: nccl-probe
defaults: {warmup: 1, iters: 1, timeout_s: 60}
cases:
  - workload: collective
    backend: nccl
    params: {collective: allreduce, size: 4KiB}
EOF
run_status st "$MPIEXEC" -n $NP "$TCBENCH" run "$WORK/probe.yaml" -o "$WORK/probe" \
    >"$WORK/probe.out" 2>"$WORK/probe.err" || true
if [ "$st" -ne 0 ]; then
    why=$(sed -n 's/.*no CUDA device on [^:]*: //p' "$WORK/probe.err" | head -1)
    [ -z "$why" ] || skip "no CUDA device ($why)"
    why=$(sed -n 's/.*nccl: \(ranks .* share CUDA device .*\)/\1/p' "$WORK/probe.err" | head -1)
    [ -z "$why" ] || skip "$NP ranks need a CUDA device each ($why)"
    tail -20 "$WORK/probe.err"
    fail "the one-case probe failed with status $st, not for want of a CUDA device"
fi
pass "probe: one nccl allreduce on $NP ranks"

# The whole suite, with an NCCL_* variable to find in the manifest.
suite=$SUITES/nccl.yaml
expected=$("$TCBENCH" run "$suite" --dry-run | grep -c '^case ')
run_long st env NCCL_DEBUG=WARN "$MPIEXEC" -n $NP "$TCBENCH" run "$suite" \
    -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/err"; fail "exit status $st"; }
pass "exit status 0"
r=$WORK/run/results.jsonl
expect_eq "records" "$("$CHECK" lines "$r")" "$expected"
expect_eq "records checked ok" "$("$CHECK" count "$r" check.status '"ok"')" "$expected"
expect_eq "backend of every record" "$("$CHECK" count "$r" backend '"nccl"')" "$expected"
expect_eq "run finished" "$("$CHECK" json "$WORK/run/run.json" finished)" "true"
expect_eq "NCCL_DEBUG in run.json" \
    "$("$CHECK" json "$WORK/run/run.json" environment.NCCL_DEBUG)" '"WARN"'
v=$("$CHECK" json "$WORK/run/run.json" backends.nccl.nccl) || true
[[ $v =~ ^\"[0-9]+\.[0-9]+\.[0-9]+\"$ ]] || fail "NCCL version in run.json: $v"
pass "NCCL version in run.json: $v"
# busbw on every record; above 0 wherever the group has peers (a group of one
# moves nothing: the allreduce factor 2(n-1)/n is 0).
for ((i = 0; i < expected; i++)); do
    bus=$("$CHECK" field "$r" "$i" metrics.busbw_GBps) || fail "record $i: no busbw"
    n=$("$CHECK" field "$r" "$i" metrics.group_ranks)
    awk -v b="$bus" -v n="$n" 'BEGIN { exit !(b + 0 == b && (n < 2 || b > 0)) }' \
        || fail "record $i: busbw $bus in a group of $n"
done
pass "busbw in all $expected records"
for coll in allreduce allgather reducescatter alltoall broadcast reduce sendrecv; do
    grep -q "^# $coll .*backend nccl" "$WORK/out" || fail "no table for $coll"
done
for t in float32 bfloat16; do
    n=$("$CHECK" count "$r" params.dtype "\"$t\"")
    [ "$n" -gt 0 ] || fail "no $t records"
done
pass "every collective and dtype in the tables"

# NCCL has no in-place alltoall or sendrecv: recorded as skipped, not run.
cat >"$WORK/no-inplace.yaml" <<'EOF'
name: nccl-no-inplace
defaults: {warmup: 1, iters: 1, timeout_s: 60}
cases:
  - workload: collective
    backend: nccl
    params: {collective: [alltoall, sendrecv], inplace: true, size: 4KiB}
EOF
run_status st "$MPIEXEC" -n $NP "$TCBENCH" run "$WORK/no-inplace.yaml" -o "$WORK/skip" \
    >"$WORK/skip.out" 2>"$WORK/skip.err" || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/skip.err"; fail "in-place skip run: exit status $st"; }
s=$WORK/skip/results.jsonl
expect_eq "in-place alltoall, sendrecv skipped" "$("$CHECK" count "$s" check.status '"skipped"')" 2
expect_eq "why alltoall skipped" "$("$CHECK" field "$s" 0 check.detail)" \
    '"the nccl backend has no in-place alltoall"'
