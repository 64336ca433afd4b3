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
