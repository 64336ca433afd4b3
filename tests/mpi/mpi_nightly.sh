# The nightly pipeline end to end, the way a cluster runs it: the Slurm
# script, outside Slurm, runs ci/nightly/nightly.sh on a tiny real suite
# (tests/mpi/suites/nightly.yaml) against one history database.
#   (a) two quiet nights: both exit 0, both are in the database, and every
#       report (JUnit, summary, JSON, OpenMetrics, trend) is written;
#   (b) a third night 10% slower: tcbench is wrapped so that, after `run`,
#       the run directory is rewritten by tcb_make_night --scale 1.10 (nightly.sh
#       itself is the real one). The night exits 1, the JUnit report has
#       failures, the summary lists the regressions, the job summary
#       (GITHUB_STEP_SUMMARY) gets them, and the database holds 3 runs and
#       passes PRAGMA integrity_check;
#   (d) a fourth night, as slow, whose run fails (status 3) is still imported
#       and compared (against night 1 by --baseline RUN_ID), and 3 wins over
#       compare's 1;
#   (c) bad usage of nightly.sh exits 2 with a message and leaves the database
#       as it was.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 command-line tool is missing (apt-get install sqlite3)"
ROOT=$(cd "$TESTS/.." && pwd)
SBATCH=$ROOT/ci/nightly/tcbench-nightly.sbatch
NIGHTLY=$ROOT/ci/nightly/nightly.sh
MAKE_NIGHT=$(dirname "$CHECK")/tcb_make_night
[ -x "$MAKE_NIGHT" ] || fail "$MAKE_NIGHT is not built"
db=$WORK/state/history.db
q() { sqlite3 "$db" "$1"; }

# Outside Slurm and outside GitHub, whatever runs this test.
for v in $(compgen -e SLURM_ || true); do unset "$v"; done
unset GITHUB_STEP_SUMMARY TCB_LAUNCH TCB_SYSTEM TCB_BASELINE TCB_RUN_ARGS TCB_REPO
export TCB_RANKS=2 TCB_DB=$db TCB_SUITE=$SUITES/nightly.yaml TCB_REFERENCES=$WORK/references.yaml
# The sleeps gate at the default 5%; the allreduces of a shared 2-core
# machine are too noisy to gate on, so they get no bounds.
cat >"$TCB_REFERENCES" <<'EOF'
default_tolerance: 5%
systems:
  "*":
    - case: "collective *"
      lower: none
      upper: none
EOF
# The script's own fallback launcher is `mpirun -np $TCB_RANKS`; where only
# CTest's MPIEXEC is there, use that.
command -v mpirun >/dev/null || export TCB_LAUNCH="$MPIEXEC -n 2"

# night NAME TCBENCH_BINARY [VAR=VALUE...]: one night through the Slurm script
# into $WORK/NAME; its status into $st, its output into $WORK/NAME.log.
night() {
    local name=$1 bin=$2
    shift 2
    run_status st env TCB_OUT="$WORK/$name" TCBENCH="$bin" "$@" bash "$SBATCH" \
        >"$WORK/$name.log" 2>&1
}

# the_reports NAME: every report of the night is there and whole.
the_reports() {
    local out=$WORK/$1 f
    for f in junit.xml summary.md compare.json metrics.prom trend.txt; do
        [ -s "$out/$f" ] || { cat "$WORK/$1.log"; fail "$1: no $f"; }
    done
    expect_eq "$1: compare.json schema" "$("$CHECK" json "$out/compare.json" schema)" \
        '"tcbench.compare/1"'
    tail -1 "$out/metrics.prom" | has '^# EOF$' || fail "$1: metrics.prom does not end in # EOF"
    if command -v xmllint >/dev/null; then
        xmllint --noout "$out/junit.xml" || fail "$1: junit.xml is not XML"
    fi
    local runs
    runs=$(find "$out/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)
    expect_eq "$1: run directories" "$runs" 1
    has "$out/runs/" <"$WORK/$1.log" || fail "$1: the run directory's path was not printed"
}

# ---- (a) two quiet nights -----------------------------------------------------

night night1 "$TCBENCH"
[ "$st" -eq 0 ] || { cat "$WORK/night1.log"; fail "night 1 exit $st, want 0"; }
the_reports night1
expect_eq "night 1: runs in the database" "$(q 'SELECT count(*) FROM runs')" 1
expect_eq "night 1: regressions" "$("$CHECK" json "$WORK/night1/compare.json" counts.regression)" 0

night night2 "$TCBENCH"
[ "$st" -eq 0 ] || { cat "$WORK/night2.log"; fail "night 2 exit $st, want 0"; }
the_reports night2
expect_eq "night 2: runs in the database" "$(q 'SELECT count(*) FROM runs')" 2
expect_eq "night 2: regressions" "$("$CHECK" json "$WORK/night2/compare.json" counts.regression)" 0
expect_eq "one system for both nights" "$(q 'SELECT count(DISTINCT system) FROM runs')" 1

# ---- (b) a night 10% slower ------------------------------------------------------

# tcbench as the night sees it: the real binary; after `run`, rank 0 rewrites
# the run directory 10% slower (into a new directory, then in its place).
# SLOW_EXIT, when set, replaces the run's exit status (rank 0's, after the
# rewrite).
cat >"$WORK/tcbench-slow" <<EOF
#!/usr/bin/env bash
set -uo pipefail
st=0
"$TCBENCH" "\$@" || st=\$?
rank=\${OMPI_COMM_WORLD_RANK:-\${PMIX_RANK:-\${PMI_RANK:-0}}}
if [ "\${1:-}" = run ] && [ "\$rank" = 0 ]; then
    dir= prev=
    for a in "\$@"; do
        if [ "\$prev" = -o ] || [ "\$prev" = --output ]; then dir=\$a; fi
        prev=\$a
    done
    if [ -n "\$dir" ] && [ -f "\$dir/run.json" ]; then
        id=\$("$CHECK" json "\$dir/run.json" run_id | tr -d '"')
        start=\$("$CHECK" json "\$dir/run.json" start_utc | tr -d '"')
        rm -rf "\$dir.slow"
        "$MAKE_NIGHT" "\$dir" "\$dir.slow" --run-id "\$id" --start-utc "\$start" --scale 1.10 \\
            || exit 3
        rm -rf "\$dir" && mv "\$dir.slow" "\$dir" || exit 3
        echo "tcbench-slow: \$dir rewritten 10% slower" >&2
    fi
    # Only rank 0, once the directory is rewritten: mpirun ends the other
    # ranks when one exits non-zero.
    exit \${SLOW_EXIT:-\$st}
fi
exit \$st
EOF
chmod +x "$WORK/tcbench-slow"

summary=$WORK/step-summary.md
echo "# earlier steps" >"$summary"
night night3 "$WORK/tcbench-slow" GITHUB_STEP_SUMMARY="$summary"
[ "$st" -eq 1 ] || { cat "$WORK/night3.log"; fail "night 3 (10% slower) exit $st, want 1"; }
pass "night 3, 10% slower: exit 1"
has 'rewritten 10% slower' <"$WORK/night3.log" || fail "the wrapper did not rewrite the run"
the_reports night3
grep -c '<failure' "$WORK/night3/junit.xml" | has '^[1-9]' ||
    { cat "$WORK/night3/junit.xml"; fail "night 3: junit.xml has no <failure>"; }
pass "night 3: junit.xml has $(grep -c '<failure' "$WORK/night3/junit.xml") line(s) with <failure>"
regressions=$("$CHECK" json "$WORK/night3/compare.json" counts.regression)
[ "$regressions" -ge 1 ] || fail "night 3: compare.json counts $regressions regressions"
pass "night 3: $regressions regressions in compare.json"
has 'regression' <"$WORK/night3/summary.md" || { cat "$WORK/night3/summary.md"; fail "night 3: summary.md names no regression"; }
has '| regression' <"$WORK/night3/summary.md" ||
    { cat "$WORK/night3/summary.md"; fail "night 3: summary.md lists no regression row"; }
has '^tcbench_gate_regressions\({[^}]*}\)\{0,1\} [1-9]' <"$WORK/night3/metrics.prom" ||
    fail "night 3: metrics.prom has no tcbench_gate_regressions > 0"
# The job summary: what was there, then the night's summary and the trend, folded.
expect_eq "step summary keeps what was there" "$(head -1 "$summary")" "# earlier steps"
has '| regression' <"$summary" || fail "GITHUB_STEP_SUMMARY lacks the regressions"
has '<details>' <"$summary" || fail "GITHUB_STEP_SUMMARY lacks the folded trend"
expect_eq "night 3: runs in the database" "$(q 'SELECT count(*) FROM runs')" 3
expect_eq "night 3: integrity" "$(q 'PRAGMA integrity_check')" ok

# ---- (d) a night whose run fails: imported, compared, and its 3 wins -----------------------

# Against night 1 by its run id: against the last night (night 3, as slow)
# there would be nothing to find.
night1_id=$("$CHECK" json "$(echo "$WORK"/night1/runs/*/run.json)" run_id | tr -d '"')
night night4 "$WORK/tcbench-slow" SLOW_EXIT=3 TCB_BASELINE="$night1_id"
[ "$st" -eq 3 ] || { cat "$WORK/night4.log"; fail "night 4 (run exit 3, slower) exit $st, want 3"; }
pass "night 4: run 3 and a regression give exit 3"
has 'compare 1' <"$WORK/night4.log" || { cat "$WORK/night4.log"; fail "night 4: compare did not run or did not find the regression"; }
[ -s "$WORK/night4/junit.xml" ] || fail "night 4: no junit.xml after a failed run"
expect_eq "night 4: runs in the database" "$(q 'SELECT count(*) FROM runs')" 4
expect_eq "night 4: integrity" "$(q 'PRAGMA integrity_check')" ok

# ---- (c) bad usage ------------------------------------------------------------------

q 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
before=$(md5sum <"$db")
bad() { # bad WHAT PATTERN ARGS...: nightly.sh ARGS exits 2 saying PATTERN
    local what=$1 pattern=$2
    shift 2
    run_status st env TCBENCH="$TCBENCH" bash "$NIGHTLY" "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
    expect_eq "bad usage, $what: exit" "$st" 2
    has "$pattern" <"$WORK/bad.err" || { cat "$WORK/bad.err"; fail "bad usage, $what: message"; }
    has '^usage: ' <"$WORK/bad.err" || fail "bad usage, $what: no usage line"
}
bad "no arguments" 'SUITE is required'
bad "no --db" '--db FILE is required' "$TCB_SUITE" --out "$WORK/bad"
bad "no --out" '--out DIR is required' "$TCB_SUITE" --db "$db"
bad "--db without a value" '--db needs a value' "$TCB_SUITE" --out "$WORK/bad" --db
bad "unknown option" "unknown option '--nights'" "$TCB_SUITE" --db "$db" --out "$WORK/bad" --nights 3
bad "two suites" "would be a second" "$TCB_SUITE" "$TCB_SUITE" --db "$db" --out "$WORK/bad"
bad "missing suite" 'no-such.yaml: no such suite file' "$WORK/no-such.yaml" --db "$db" --out "$WORK/bad"
bad "database inside the reports" 'keep the database elsewhere' "$TCB_SUITE" \
    --db "$WORK/bad/junit.xml" --out "$WORK/bad"
run_status st env TCBENCH="$WORK/no-tcbench" bash "$NIGHTLY" "$TCB_SUITE" --db "$db" \
    --out "$WORK/bad" >/dev/null 2>"$WORK/bad.err"
expect_eq "bad usage, no binary: exit" "$st" 2
has 'no tcbench binary' <"$WORK/bad.err" || { cat "$WORK/bad.err"; fail "no binary: message"; }
run_status st bash "$NIGHTLY" --help >"$WORK/help.out" 2>&1
expect_eq "--help exit" "$st" 0
has '^usage: ' <"$WORK/help.out" || fail "--help prints no usage"
expect_eq "the database after bad usage" "$(md5sum <"$db")" "$before"
expect_eq "runs after bad usage" "$(q 'SELECT count(*) FROM runs')" 4
