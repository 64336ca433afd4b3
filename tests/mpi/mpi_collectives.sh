# Every collective, dtype, op, scope and placement, verified, on NP ranks.
# Sourced by mpi_collectives_np2.sh / _np4.sh with NP set.
suite=$SUITES/all-collectives.yaml
expected=$("$TCBENCH" run "$suite" --dry-run | grep -c '^case ')
run_status st "$MPIEXEC" -n "$NP" "$TCBENCH" run "$suite" -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" \
    || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/err"; fail "exit status $st"; }
pass "exit status 0"
expect_eq "records" "$("$CHECK" lines "$WORK/run/results.jsonl")" "$expected"
expect_eq "records checked ok" "$("$CHECK" count "$WORK/run/results.jsonl" check.status '"ok"')" "$expected"
expect_eq "ranks in a record" "$("$CHECK" field "$WORK/run/results.jsonl" 0 ranks)" "$NP"
expect_eq "run finished" "$("$CHECK" json "$WORK/run/run.json" finished)" "true"
# Every collective and every dtype appear in the table with #wrong 0.
for coll in allreduce allgather reducescatter alltoall broadcast reduce sendrecv; do
    grep -q "^# $coll " "$WORK/out" || fail "no table for $coll"
done
for t in float32 float64 int32 bfloat16 float16; do
    n=$("$CHECK" count "$WORK/run/results.jsonl" params.dtype "\"$t\"")
    [ "$n" -gt 0 ] || fail "no $t records"
done
# The cross scope is one rank per node: one node here, so groups of 1.
r=$WORK/run/results.jsonl
expect_eq "cross groups of one rank" "$(grep -c '"scope":"cross".*"group_ranks":1,' "$r")" \
    "$(grep -c '"scope":"cross"' "$r")"
# busbw = algbw x factor, read back from a record (allreduce: 2(n-1)/n).
rec=$(grep -m1 '"collective":"allreduce".*"scope":"world"' "$WORK/run/results.jsonl")
echo "$rec" > "$WORK/one.jsonl"
alg=$("$CHECK" field "$WORK/one.jsonl" 0 metrics.algbw_GBps)
bus=$("$CHECK" field "$WORK/one.jsonl" 0 metrics.busbw_GBps)
awk -v a="$alg" -v b="$bus" -v n="$NP" 'BEGIN { f = 2*(n-1)/n; d = b - a*f; exit !(d < 1e-6*a+1e-12 && d > -1e-6*a-1e-12) }' \
    || fail "allreduce busbw $bus != algbw $alg x 2(n-1)/n"
pass "allreduce busbw factor"
