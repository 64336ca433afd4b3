# The transformer workload end to end, with real ranks:
#  - data parallelism: 2 ranks with micro-batch B give the losses of 1 rank
#    with 2B (within 1e-5 relative) for 10 steps, for both model families;
#  - determinism: the same seed gives bitwise identical losses on one thread,
#    and another seed gives other losses (so the comparison can fail);
#  - the check after warm-up passes (ranks agree, gradient check) and MFU
#    figures carry their sources;
#  - learning: the loss falls by a clear margin within 50 steps;
#  - a non-finite loss stops the case with check "error" naming the step,
#    exit status 1 on every rank, and the next case still runs;
#  - the check catches a parameter flipped on one rank and a doubled gradient;
#  - bad input (unknown model, tp that does not divide, too long a sequence,
#    an odd name) is one message with file:line:column and exit 2.
. "$(dirname "$0")/lib.sh"

dp=$SUITES/transformer-dp.yaml
run_status st "$MPIEXEC" -n 1 "$TCBENCH" run "$dp" --set batch=4 -o "$WORK/np1" >"$WORK/out1" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/out1"; fail "1-rank run exit $st"; }
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$dp" --set batch=2 -o "$WORK/np2" >"$WORK/out2" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/out2"; fail "2-rank run exit $st"; }
for i in 0 1; do
    model=$("$CHECK" field "$WORK/np1/results.jsonl" $i params.model)
    expect_eq "$model checks ok on 1 rank" "$("$CHECK" field "$WORK/np1/results.jsonl" $i check.status)" '"ok"'
    expect_eq "$model checks ok on 2 ranks" "$("$CHECK" field "$WORK/np2/results.jsonl" $i check.status)" '"ok"'
    d=$("$CHECK" close "$WORK/np1/results.jsonl" "$WORK/np2/results.jsonl" $i series.loss 1e-5) \
        || fail "$model: 2 ranks x B=2 vs 1 rank x B=4 losses differ by $d (relative)"
    pass "$model: 2 ranks x B=2 match 1 rank x B=4 within $d"
    n=$("$CHECK" field "$WORK/np2/results.jsonl" $i series.loss | tr ',' '\n' | wc -l)
    expect_eq "$model: losses recorded" "$n" 10
    for key in mfu achievable_mfu gradcheck_rel_err peak_rss_bytes; do
        v=$("$CHECK" field "$WORK/np2/results.jsonl" $i metrics.$key)
        [ "$v" != "<missing>" ] || fail "$model: no metric $key"
    done
    src=$("$CHECK" field "$WORK/np2/results.jsonl" $i sources.peak_tflops)
    case "$src" in '"derived:'* | '"catalog:'*) pass "$model: peak source $src" ;;
        *) fail "$model: peak_tflops source is $src" ;; esac
done

run_status st "$MPIEXEC" -n 1 "$TCBENCH" run "$dp" --set batch=4 -o "$WORK/again" >/dev/null 2>&1
expect_eq "repeat run exit status" "$st" 0
for i in 0 1; do
    expect_eq "case $i: same seed, same losses bit for bit" \
        "$("$CHECK" field "$WORK/again/results.jsonl" $i series.loss)" \
        "$("$CHECK" field "$WORK/np1/results.jsonl" $i series.loss)"
done
run_status st "$MPIEXEC" -n 1 "$TCBENCH" run "$dp" --set batch=4 --set seed=99 -o "$WORK/seed99" \
    >/dev/null 2>&1
[ "$("$CHECK" field "$WORK/seed99/results.jsonl" 0 series.loss)" != \
  "$("$CHECK" field "$WORK/np1/results.jsonl" 0 series.loss)" ] || fail "seed 99 gave seed 1234's losses"
pass "another seed, other losses"

run_status st "$MPIEXEC" -n 1 "$TCBENCH" run "$SUITES/transformer-learn.yaml" -o "$WORK/learn" \
    >"$WORK/out" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/out"; fail "learning run exit $st"; }
for i in 0 1; do
    first=$("$CHECK" field "$WORK/learn/results.jsonl" $i metrics.loss_first)
    last=$("$CHECK" field "$WORK/learn/results.jsonl" $i metrics.loss_last)
    awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < 0.6 * f) }' \
        || fail "case $i: loss went from $first to $last in 50 steps (want below 60%)"
    pass "case $i: loss $first -> $last in 50 steps"
done

run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/transformer-nan.yaml" -o "$WORK/nan" \
    >"$WORK/out" 2>"$WORK/err"
expect_eq "diverging run exit status" "$st" 1
r=$WORK/nan/results.jsonl
expect_eq "diverging case check" "$("$CHECK" field "$r" 0 check.status)" '"error"'
expect_eq "diverging case detail" "$("$CHECK" field "$r" 0 check.detail)" '"loss is nan at step 2 of 5"'
expect_eq "diverging case not timed" "$("$CHECK" field "$r" 0 time_s)" null
expect_eq "next case still runs" "$("$CHECK" field "$r" 1 check.status)" '"ok"'
grep -q 'loss is nan at step 2' "$WORK/err" || fail "no log line names the step"
pass "non-finite loss named on stderr"

# The check's self-tests: a parameter flipped on one rank and a doubled
# gradient are caught (check "wrong", not timed, the reason in the detail).
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/transformer-corrupt.yaml" -o "$WORK/corrupt" \
    >/dev/null 2>&1
expect_eq "corrupted checks exit status" "$st" 1
r=$WORK/corrupt/results.jsonl
expect_eq "flipped parameter" "$("$CHECK" field "$r" 0 check.detail)" '"parameters differ between ranks"'
expect_eq "flipped parameter not timed" "$("$CHECK" field "$r" 0 time_s)" null
d=$("$CHECK" field "$r" 1 check.detail)
case "$d" in '"gradient check: finite difference off by 0.5 '*) pass "doubled gradient: $d" ;;
    *) fail "doubled gradient: detail $d" ;; esac
expect_eq "doubled gradient check" "$("$CHECK" field "$r" 1 check.status)" '"wrong"'
expect_eq "clean case after" "$("$CHECK" field "$r" 2 check.status)" '"ok"'

# Bad input: one message with the suite's file:line:column, exit 2 on every
# rank, no run directory.
bad() { # bad NAME PARAMS WANT: WANT follows "FILE:" in the message
    printf 'name: bad\ncases:\n  - workload: transformer\n    backend: cpu\n    params: %s\n' \
        "$2" >"$WORK/$1.yaml"
    run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$WORK/$1.yaml" -o "$WORK/$1" \
        >/dev/null 2>"$WORK/$1.err"
    expect_eq "$1: exit status" "$st" 2
    grep -qF "$WORK/$1.yaml:$3" "$WORK/$1.err" || { cat "$WORK/$1.err"; fail "$1: message"; }
    [ ! -e "$WORK/$1" ] || fail "$1: a run directory was made"
    pass "$1: $3"
}
bad unknown-model '{model: nosuch}' "3:5: case 0: no model 'nosuch' in"
bad tp-heads '{model: tiny-llama, tp: 3}' "3:5: case 0: model 'tiny-llama': tp 3 does not divide its heads (4)"
bad long-seq '{model: tiny-gpt, seq: 64}' "3:5: case 0: seq 64 is longer than tiny-gpt's context of 32"
bad odd-name '{model: "../x"}' "5:21: parameter 'model': expected a name"
