# `tcbench compare` on real files: one real run of a small suite, then
# synthetic nights made from it with tcb_make_night (its samples scaled, with
# noise of their own), imported into a real SQLite history. A night 10%
# slower fails the gate (exit 1) with JUnit, Markdown, JSON and OpenMetrics
# saying so; a night of noise alone passes; references widen the bounds; a
# failed check fails the gate; bad input gets one message and exit 2 and
# leaves the outputs of the night before as they were.
. "$(dirname "$0")/lib.sh"
NIGHT=$(dirname "$CHECK")/tcb_make_night
db=$WORK/history.db
out=$WORK/out
mkdir -p "$out"

run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/nightly.yaml" -o "$WORK/real" \
    >"$WORK/log" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/log"; fail "the real run exit $st"; }
pass "real run"

# night N: a copy of the real run N days into 2099, scaled, 1% noise.
night() {
    "$NIGHT" "$WORK/real" "$WORK/n$1" --run-id "night-$1" --start-utc "2099-01-0$1T00:00:00Z" \
        --scale "$2" --noise 0.01 --seed "$1" || fail "tcb_make_night $1"
    "$TCBENCH" db import "$WORK/n$1" --db "$db" --system box >/dev/null || fail "import n$1"
}
night 1 1.0
night 2 1.0
night 3 1.10

gate() { # gate NIGHT [options...]: compare night NIGHT, its status into $st
    local n=$1
    shift
    run_status st "$TCBENCH" compare --db "$db" --current "$WORK/n$n" --system box \
        --junit "$out/junit.xml" --summary "$out/summary.md" --json "$out/compare.json" \
        --openmetrics "$out/metrics.prom" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
}

gate 2
[ "$st" -eq 0 ] || { cat "$WORK/stdout" "$WORK/stderr"; fail "noise night exit $st"; }
has '^# 0 regression, 0 failed, .*: pass$' <"$WORK/stdout" || { cat "$WORK/stdout"; fail "noise night"; }
has '^# baseline: run night-1$' <"$WORK/stdout" || { cat "$WORK/stdout"; fail "baseline line"; }
pass "night 2 (noise only) passes against night 1"

gate 3
[ "$st" -eq 1 ] || { cat "$WORK/stdout" "$WORK/stderr"; fail "slow night exit $st, want 1"; }
# Every timed case moved 10% (+-1%) the wrong way: beyond the 5% bounds, so
# each is a regression, or noise where the real run's own spread is too wide
# for 10 samples to prove it (a busy machine); never ok or an improvement.
cases=$(grep -c '"samples_s"' "$WORK/real/results.jsonl")
judged=$(grep -c '^ \(regression\|noise\) *time_s ' "$WORK/stdout" || true)
expect_eq "time_s regressions or noise on the 10% slower night" "$judged" "$cases"
regressed=$(grep -c '^ regression ' "$WORK/stdout" || true)
[ "$regressed" -ge 1 ] || { cat "$WORK/stdout"; fail "no regression flagged"; }
for size in 65536 262144; do
    has "^ \\(regression\\|noise\\) *busbw_GBps .* size=$size" <"$WORK/stdout" ||
        { cat "$WORK/stdout"; fail "busbw (higher is better) of $size neither flagged nor noise"; }
done
pass "$regressed regressions flagged"
xmllint --noout --schema "$TESTS/fixtures/junit/junit.xsd" "$out/junit.xml" 2>"$WORK/xml" ||
    { cat "$WORK/xml"; fail "junit.xml does not validate"; }
failures=$(xmllint --xpath 'string(/testsuite/@failures)' "$out/junit.xml")
[ "$failures" -eq "$regressed" ] || fail "junit failures $failures, regressions $regressed"
pass "junit.xml valid, $failures failures"
has '^### Regressions' <"$out/summary.md" || { cat "$out/summary.md"; fail "summary"; }
has 'machine: box' <"$out/summary.md" || fail "summary lacks the machine"
[ "$(stat -c %s "$out/summary.md")" -lt 1048576 ] || fail "summary over 1 MiB"
has '"regression": [1-9]' <"$out/compare.json" || fail "compare.json counts"
has '"schema": "tcbench.compare/1"' <"$out/compare.json" || fail "compare.json schema"
expect_eq "metrics.prom ends" "$(tail -n 1 "$out/metrics.prom")" "# EOF"
has "^tcbench_gate_regressions{system=\"box\"} [1-9]" <"$out/metrics.prom" ||
    { cat "$out/metrics.prom"; fail "openmetrics regressions"; }
pass "night 3 (10% slower) fails with exit 1, every timed case flagged"

gate 3 --test welch
expect_eq "welch on night 3" "$st" 1
gate 3 --baseline 2-runs
expect_eq "2-runs baseline on night 3" "$st" 1
has '^# baseline: 2 runs of box: night-1 .. night-2$' <"$WORK/stdout" || fail "2-runs line"
gate 3 --baseline night-1
expect_eq "named baseline on night 3" "$st" 1

cat >"$WORK/refs.yaml" <<'EOF'
systems:
  box:
    - metric: time_s
      upper: 20%
  "*":
    - lower: -20%
EOF
gate 3 --references "$WORK/refs.yaml"
[ "$st" -eq 0 ] || { cat "$WORK/stdout"; fail "night 3 within 20% bounds exit $st"; }
pass "references with 20% bounds let night 3 pass"

# A failed check fails the gate, whatever the times.
mkdir "$WORK/n4"
sed 's/night-1/night-4/g' "$WORK/n1/run.json" | sed 's/2099-01-01/2099-01-04/' >"$WORK/n4/run.json"
sed 's/night-1/night-4/g; 1s/"status":"ok"/"status":"wrong","detail":"planted"/' \
    "$WORK/n1/results.jsonl" >"$WORK/n4/results.jsonl"
gate 4
expect_eq "failed check exit" "$st" 1
has '^ failed .* check ' <"$WORK/stdout" || { cat "$WORK/stdout"; fail "failed line"; }

# First night of a system: no baseline, every case new, exit 0.
run_status st "$TCBENCH" compare --db "$db" --current "$WORK/real" --system newbox >"$WORK/stdout" 2>&1
expect_eq "first night of a system" "$st" 0
has '^# baseline: none: no earlier finished run of newbox' <"$WORK/stdout" || fail "none line"

# Bad input: one message, exit 2, yesterday's outputs untouched.
sums() { md5sum "$out"/* | md5sum; }
before=$(sums)
bad() { # bad WANT_MESSAGE ARGS...
    local want=$1
    shift
    run_status st "$TCBENCH" compare "$@" --junit "$out/junit.xml" --summary "$out/summary.md" \
        >/dev/null 2>"$WORK/err"
    expect_eq "exit of compare $*" "$st" 2
    has "$want" <"$WORK/err" || { cat "$WORK/err"; fail "message for $*: want $want"; }
    expect_eq "outputs after compare $*" "$(sums)" "$before"
}
bad "--db FILE and --current RUN_DIR are required" --current "$WORK/n3"
bad "no such database" --db "$WORK/none.db" --current "$WORK/n3"
[ ! -e "$WORK/none.db" ] || fail "compare made a database"
bad "no run 'night-9'" --db "$db" --current "$WORK/n3" --baseline night-9
bad "--alpha 2: a significance level" --db "$db" --current "$WORK/n3" --alpha 2
bad "--test t: not mann-whitney or welch" --db "$db" --current "$WORK/n3" --test t
bad "$WORK/nope/run.json" --db "$db" --current "$WORK/nope"
printf 'systems:\n  box:\n    - lower: 5%%\n' >"$WORK/bad.yaml"
bad "$WORK/bad.yaml:3:14: lower is the largest fall" --db "$db" --current "$WORK/n3" \
    --references "$WORK/bad.yaml"
