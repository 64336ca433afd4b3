# A run killed with SIGKILL mid-suite leaves a results.jsonl whose every line
# parses and a run.json that says the run did not finish.
. "$(dirname "$0")/lib.sh"
dir=$WORK/killed-run
"$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/slow.yaml" -o "$dir" >"$WORK/out" 2>"$WORK/err" &
launcher=$!
for _ in $(seq 1 300); do
    [ -f "$dir/results.jsonl" ] && [ "$(wc -l < "$dir/results.jsonl")" -ge 3 ] && break
    sleep 0.1
done
[ "$(wc -l < "$dir/results.jsonl")" -ge 3 ] || fail "the run did not get going"
# Every process of this run (launcher and ranks), nothing else.
pkill -KILL -f -- "$dir" || true
wait "$launcher" 2>/dev/null || true
n=$("$CHECK" lines "$dir/results.jsonl") || fail "a line of results.jsonl does not parse"
[ "$n" -ge 3 ] && [ "$n" -lt 40 ] || fail "$n records: not killed mid-suite"
pass "$n whole records after SIGKILL"
expect_eq "run.json finished" "$("$CHECK" json "$dir/run.json" finished)" false
expect_eq "run.json end time" "$("$CHECK" json "$dir/run.json" end_utc)" null
# Rank 0 was killed too, so run.json keeps what it said at the start.
"$CHECK" json "$dir/run.json" unfinished_why | has "rank 0 killed by SIGKILL" ||
    fail "run.json: unfinished_why $("$CHECK" json "$dir/run.json" unfinished_why)"
ls -a "$dir" | has '\.tmp\.' && fail "a temporary file was left behind"
pass "no temporary files"
