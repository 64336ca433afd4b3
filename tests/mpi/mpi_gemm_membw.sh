# gemm and membw on the cpu backend under mpiexec -n 2: every case verified,
# its metrics present and positive, the best-rate bookkeeping consistent; a
# gemm with a bad shape is refused by the suite loader with file:line:column.
. "$(dirname "$0")/lib.sh"
NP=2
suite=$SUITES/gemm-membw.yaml
r=$WORK/run/results.jsonl

expected=$("$TCBENCH" run "$suite" --dry-run | grep -c '^case ')
run_status st "$MPIEXEC" -n $NP "$TCBENCH" run "$suite" -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" \
    || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/err"; fail "exit status $st"; }
pass "exit status 0"
expect_eq "records" "$("$CHECK" lines "$r")" "$expected"
expect_eq "records checked ok" "$("$CHECK" count "$r" check.status '"ok"')" "$expected"
expect_eq "records with 0 wrong elements" "$("$CHECK" count "$r" check.wrong 0)" "$expected"
expect_eq "ranks in a record" "$("$CHECK" field "$r" 0 ranks)" "$NP"
ngemm=$("$CHECK" count "$r" workload '"gemm"')
nmembw=$("$CHECK" count "$r" workload '"membw"')
[ "$ngemm" -gt 0 ] && [ "$nmembw" -gt 0 ] || fail "gemm $ngemm, membw $nmembw records"
expect_eq "gemm flops_formula" "$("$CHECK" count "$r" flops_formula '"2*M*N*K"')" "$ngemm"
expect_eq "membw kernels" "$("$CHECK" count "$r" params.kernel '"triad"')" 1

# positive NAME VALUE: VALUE is a number > 0.
positive() { awk -v v="$2" 'BEGIN { exit !(v ~ /^[0-9.eE+-]+$/ && v + 0 > 0) }' || fail "$1 = $2"; }

gemm_metrics="flops tflops tflops_max best_tflops_so_far peak_tflops fraction_of_peak threads"
membw_metrics="bytes_moved GBps GBps_max GBps_all_ranks llc_bytes llc_multiple array_bytes"
for ((i = 0; i < expected; i++)); do
    wl=$("$CHECK" field "$r" $i workload)
    if [ "$wl" == '"gemm"' ]; then metrics=$gemm_metrics; else metrics=$membw_metrics; fi
    for m in $metrics; do
        positive "case $i $wl metrics.$m" "$("$CHECK" field "$r" $i "metrics.$m")"
    done
    if [ "$wl" == '"gemm"' ]; then
        # 2*M*N*K, and the best rate so far is never below this case's.
        m=$("$CHECK" field "$r" $i params.m); n=$("$CHECK" field "$r" $i params.n)
        k=$("$CHECK" field "$r" $i params.k)
        expect_eq "case $i flops" "$("$CHECK" field "$r" $i metrics.flops)" "$((2 * m * n * k)).0"
        tf=$("$CHECK" field "$r" $i metrics.tflops)
        best=$("$CHECK" field "$r" $i metrics.best_tflops_so_far)
        awk -v a="$tf" -v b="$best" 'BEGIN { exit !(b >= a) }' || fail "case $i best $best < $tf"
        "$CHECK" field "$r" $i sources.peak_tflops | has '^"\(derived\|catalog\): ' \
            || fail "case $i: peak_tflops has no source"
    fi
done
pass "every metric present and positive"

# The flush case times the product alone and says so.
flushed=$(grep -n -m1 '"flush":true' "$r" | cut -d: -f1)
[ -n "$flushed" ] || fail "no flush case"
positive "flush_s" "$("$CHECK" field "$r" $((flushed - 1)) metrics.flush_s)"
positive "gemm_s" "$("$CHECK" field "$r" $((flushed - 1)) metrics.gemm_s)"
# 1 MiB arrays are under 4x any LLC: flagged.
first_membw=$(grep -n -m1 '"workload":"membw"' "$r" | cut -d: -f1)
"$CHECK" field "$r" $((first_membw - 1)) sources.llc_multiple | has '^"assumed: buffers only' \
    || fail "small membw arrays not flagged"
pass "flush timed apart, small arrays flagged"

grep -q '^# gemm ' "$WORK/out" || fail "no gemm table"
grep -q '^# membw triad ' "$WORK/out" || fail "no membw table"
grep -q ' \* ' "$WORK/out" || fail "no best shape marked"
pass "tables printed"

# A shape of zero is refused before anything runs, once, with its position.
cat > "$WORK/bad.yaml" <<'YAML'
name: bad-gemm
cases:
  - workload: gemm
    backend: cpu
    params: {m: 0, n: 8, k: 8}
YAML
run_status st "$MPIEXEC" -n $NP "$TCBENCH" run "$WORK/bad.yaml" -o "$WORK/bad" >"$WORK/out" 2>"$WORK/err" \
    || true
expect_eq "bad shape: exit status" "$st" 2
grep -q "bad.yaml:5:17: parameter 'm'" "$WORK/err" || { cat "$WORK/err"; fail "no file:line:column"; }
expect_eq "bad shape: messages" "$(grep -c 'bad.yaml:5' "$WORK/err")" 1
[ ! -e "$WORK/bad/results.jsonl" ] || fail "something was measured"
