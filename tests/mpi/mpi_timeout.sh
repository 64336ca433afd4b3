# A case past its timeout ends the job with status 3 and a `timeout` record
# naming the case and the rank that had not finished.
. "$(dirname "$0")/lib.sh"
for np in 2 4; do
    start=$(date +%s)
    run_status st "$MPIEXEC" -n $np "$TCBENCH" run "$SUITES/timeout.yaml" -o "$WORK/run$np" \
        >"$WORK/out" 2>"$WORK/err" || true
    took=$(( $(date +%s) - start ))
    expect_eq "np $np exit status" "$st" 3
    [ "$took" -lt 60 ] || fail "took ${took}s: the watchdog did not stop the 600 s case"
    r=$WORK/run$np/results.jsonl
    expect_eq "np $np records" "$("$CHECK" lines "$r")" 2
    expect_eq "np $np first case" "$("$CHECK" field "$r" 0 check.status)" '"ok"'
    expect_eq "np $np timeout record" "$("$CHECK" field "$r" 1 check.status)" '"timeout"'
    expect_eq "np $np timed-out case" "$("$CHECK" field "$r" 1 case)" 1
    expect_eq "np $np unfinished ranks" "$("$CHECK" field "$r" 1 check.unfinished_ranks)" "[1]"
    expect_eq "np $np run.json finished" "$("$CHECK" json "$WORK/run$np/run.json" finished)" false
    "$CHECK" json "$WORK/run$np/run.json" unfinished_why | has "case 1 exceeded timeout_s=2" ||
        fail "np $np: run.json does not say why: $("$CHECK" json "$WORK/run$np/run.json" \
            unfinished_why)"
    grep -q "case 1 exceeded timeout_s=2" "$WORK/err" || fail "no timeout message"
done
