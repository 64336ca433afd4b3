# A deliberately corrupted result is caught: check "wrong", the count of wrong
# elements, exit status 1 on every rank, and the cases after it still run.
. "$(dirname "$0")/lib.sh"
for np in 2 4; do
    run_status st "$MPIEXEC" -n $np "$TCBENCH" run "$SUITES/corrupt.yaml" -o "$WORK/run$np" \
        >"$WORK/out" 2>"$WORK/err" || true
    expect_eq "np $np exit status" "$st" 1
    r=$WORK/run$np/results.jsonl
    expect_eq "np $np records" "$("$CHECK" lines "$r")" 4
    expect_eq "np $np wrong records" "$("$CHECK" count "$r" check.status '"wrong"')" 3
    expect_eq "np $np wrong allreduce elements" "$("$CHECK" field "$r" 0 check.wrong)" 5
    expect_eq "np $np wrong allgather elements" "$("$CHECK" field "$r" 1 check.wrong)" 3
    expect_eq "np $np wrong result not timed" "$("$CHECK" field "$r" 0 time_s)" null
    expect_eq "np $np clean case after" "$("$CHECK" field "$r" 3 check.status)" '"ok"'
    grep -q ' 5$' "$WORK/out" || fail "table does not show 5 wrong"
done

# Progress: case i of N with its parameters and an ETA, one plain line per
# case when stderr is not a terminal, and a problem line for each wrong case.
grep -q '^\[1/4\] collective collective=allreduce .*corrupt=5 size=4KiB  ETA ?$' "$WORK/err" \
    || { cat "$WORK/err"; fail "no plain progress line for case 1"; }
grep -q '^\[4/4\] collective .* ETA [0-9]*:[0-9][0-9]$' "$WORK/err" || fail "no ETA on case 4"
expect_eq "problem lines" "$(grep -c ': wrong$' "$WORK/err")" 3
# On a terminal (script gives mpirun one), the line is rewritten in place.
if command -v script >/dev/null; then
    script -qec "$MPIEXEC -n 2 $TCBENCH run $SUITES/corrupt.yaml -o $WORK/live >/dev/null" \
        "$WORK/typescript" >/dev/null 2>&1 </dev/null || true
    grep -q $'\r\033\\[K\\[2/4\\] collective' "$WORK/typescript" \
        || { cat -v "$WORK/typescript" | head; fail "no live progress line on a terminal"; }
    pass "live progress line on a terminal"
fi
