#!/usr/bin/env bash
# One night of tcbench: run a suite, keep it in the history database, compare
# it with the nights before, and say whether the night regressed. Every
# pipeline (Slurm, GitHub Actions, GitLab CI, cron) calls this script, so a
# night behaves the same wherever it runs.
#
#   ci/nightly/nightly.sh SUITE --db FILE --out DIR [--system NAME]
#                         [--baseline SPEC] [--references FILE] [-- RUN_ARGS...]
#
# Steps, each run even when one before it failed:
#   1. `tcbench run SUITE -o DIR/runs/<UTC stamp> RUN_ARGS`, started by
#      $TCB_LAUNCH (default `mpirun -np ${TCB_RANKS:-2}`; empty: no launcher);
#   2. `tcbench db import` of that run into FILE, also when the run failed: its
#      finished cases and failed checks are part of the night. FILE is made
#      when missing; each import is one transaction, and this script never
#      deletes, moves or writes FILE itself;
#   3. `tcbench compare` against the earlier runs of the same system, writing
#      DIR/junit.xml, DIR/summary.md, DIR/compare.json, DIR/metrics.prom (and
#      its table to DIR/compare.txt and stdout);
#   4. `tcbench db trend` into DIR/trend.txt (information only).
# With GITHUB_STEP_SUMMARY set, summary.md and the trend (folded) are
# appended to it.
#
# Environment: TCBENCH (default: build/tcbench of this repository),
# TCB_LAUNCH, TCB_RANKS.
#
# Exit status, the worst of the steps': 0 no regression and every check
# passed; 1 a regression or a failed check; 2 bad usage or input; 3 the run
# or a step failed at runtime (the run's 3 beats compare's 1).
set -euo pipefail

prog=nightly.sh
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

usage() {
    cat <<EOF
usage: ci/nightly/nightly.sh SUITE --db FILE --out DIR [--system NAME]
                             [--baseline SPEC] [--references FILE] [-- RUN_ARGS...]
  SUITE              the suite to run (suites/collectives.yaml, ...)
  --db FILE          the history database, kept between nights (made when missing)
  --out DIR          where tonight's run (DIR/runs/<UTC stamp>) and reports go
  --system NAME      the machine the history is kept for (default: first node's hostname)
  --baseline SPEC    tcbench compare --baseline: last, N-runs or a run id
  --references FILE  tolerances per system, case and metric (docs/nightly.md)
  -- RUN_ARGS...     passed to tcbench run (--set iters=50, ...)
environment: TCBENCH (default $root/build/tcbench),
             TCB_LAUNCH (default "mpirun -np \${TCB_RANKS:-2}"; "" runs one process)
exit: 0 ok, 1 regression or failed check, 2 bad usage or input, 3 runtime failure
EOF
}

bad_usage() {
    echo "$prog: error: $*" >&2
    usage >&2
    exit 2
}

say() { printf '%s: %s\n' "$prog" "$*" >&2; }

# ---- arguments --------------------------------------------------------------

suite='' db='' out='' system='' baseline='' references=''
run_args=()
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --db | --out | --system | --baseline | --references)
        if [ $# -lt 2 ] || [ -z "$2" ]; then bad_usage "$1 needs a value"; fi
        case $1 in
        --db) db=$2 ;;
        --out) out=$2 ;;
        --system) system=$2 ;;
        --baseline) baseline=$2 ;;
        --references) references=$2 ;;
        esac
        shift 2
        ;;
    --)
        shift
        run_args=("$@")
        break
        ;;
    -*) bad_usage "unknown option '$1'" ;;
    *)
        [ -z "$suite" ] || bad_usage "one SUITE; '$1' would be a second (tcbench run options go after --)"
        suite=$1
        shift
        ;;
    esac
done
[ -n "$suite" ] || bad_usage "SUITE is required"
[ -n "$db" ] || bad_usage "--db FILE is required"
[ -n "$out" ] || bad_usage "--out DIR is required"
if [ ! -f "$suite" ] || [ ! -r "$suite" ]; then bad_usage "$suite: no such suite file"; fi
[ -z "$references" ] || [ -r "$references" ] || bad_usage "$references: no such references file"
[ ! -d "$db" ] || bad_usage "--db $db is a directory; give the database file"

TCBENCH=${TCBENCH:-$root/build/tcbench}
command -v "$TCBENCH" >/dev/null ||
    bad_usage "$TCBENCH: no tcbench binary (build it: cmake -S . -B build && cmake --build build), or set TCBENCH"
# Unset: the default launcher; set but empty: tcbench runs as one process.
read -r -a launch <<<"${TCB_LAUNCH-mpirun -np ${TCB_RANKS:-2}}"

report_names=(junit.xml summary.md compare.json metrics.prom compare.txt trend.txt)
db_real=$(realpath -m "$db")
for f in "${report_names[@]}"; do
    [ "$(realpath -m "$out/$f")" != "$db_real" ] ||
        bad_usage "--db $db is one of the reports written to --out; keep the database elsewhere"
done
mkdir -p "$out" "$(dirname "$db")"
# Last night's reports must not pass for tonight's when a step fails.
for f in "${report_names[@]}"; do rm -f -- "${out:?}/$f"; done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
run_dir=$out/runs/$stamp
i=0
while [ -e "$run_dir" ]; do # two nights in one second
    i=$((i + 1))
    run_dir=$out/runs/$stamp-$i
done

sys_args=()
[ -z "$system" ] || sys_args=(--system "$system")

# status VAR CMD...: runs CMD, its exit status into VAR, without set -e
# ending the script when it fails.
status() {
    local __var=$1 __st=0
    shift
    "$@" || __st=$?
    printf -v "$__var" '%d' "$__st"
}

# A status outside tcbench's 0..3 (a launcher that did not start, a signal)
# is a runtime failure.
as_tcbench_status() { if [ "$1" -ge 0 ] && [ "$1" -le 3 ]; then echo "$1"; else echo 3; fi; }

worst=0
fold() { [ "$1" -le "$worst" ] || worst=$1; }

# ---- 1. run -----------------------------------------------------------------

say "run directory: $run_dir"
echo "$run_dir"
say "${launch[*]} $TCBENCH run $suite -o $run_dir ${run_args[*]}"
status run_st "${launch[@]}" "$TCBENCH" run "$suite" -o "$run_dir" "${run_args[@]}"
run_st=$(as_tcbench_status "$run_st")
fold "$run_st"
say "run exit status $run_st"

# ---- 2. import, 3. compare, 4. trend ---------------------------------------------

import_st=- compare_st=- trend_st=-
if [ ! -f "$run_dir/run.json" ]; then
    # Nothing started (bad suite, launcher failure): nothing to keep or compare.
    say "the run left no run.json: nothing to import or compare"
    [ "$run_st" -eq 2 ] || fold 3 # a suite tcbench refused stays a usage error
else
    status import_st "$TCBENCH" db import "$run_dir" --db "$db" "${sys_args[@]}"
    import_st=$(as_tcbench_status "$import_st")
    fold "$import_st"
    [ "$import_st" -eq 0 ] || say "import into $db failed (exit $import_st); comparing anyway"

    base_args=()
    [ -z "$baseline" ] || base_args+=(--baseline "$baseline")
    [ -z "$references" ] || base_args+=(--references "$references")
    status compare_st "$TCBENCH" compare --db "$db" --current "$run_dir" \
        "${sys_args[@]}" "${base_args[@]}" \
        --junit "$out/junit.xml" --summary "$out/summary.md" \
        --json "$out/compare.json" --openmetrics "$out/metrics.prom" >"$out/compare.txt"
    compare_st=$(as_tcbench_status "$compare_st")
    cat "$out/compare.txt"
    fold "$compare_st"

    status trend_st "$TCBENCH" db trend --db "$db" "${sys_args[@]}" >"$out/trend.txt"
    [ "$trend_st" -eq 0 ] || say "db trend exit $trend_st (information only; the night's status is unchanged)"
fi

# ---- the CI job summary ---------------------------------------------------------

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    {
        printf '## tcbench nightly: %s\n\n' "$(basename "$suite")"
        if [ -s "$out/summary.md" ]; then
            cat "$out/summary.md"
        else
            printf 'No comparison was written: run exit %s, import %s, compare %s. See the job log.\n' \
                "$run_st" "$import_st" "$compare_st"
        fi
        if [ -s "$out/trend.txt" ]; then
            printf '\n<details><summary>Change points in the history (tcbench db trend)</summary>\n\n```text\n'
            # GitHub takes 1 MiB per step summary; summary.md keeps under it.
            head -n 300 "$out/trend.txt"
            [ "$(wc -l <"$out/trend.txt")" -le 300 ] || echo "... (trend.txt in the artifacts has the rest)"
            printf '```\n\n</details>\n'
        fi
    } >>"$GITHUB_STEP_SUMMARY" || say "could not append to GITHUB_STEP_SUMMARY"
fi

say "run $run_st, import $import_st, compare $compare_st, trend $trend_st: exit $worst"
written=()
for f in "${report_names[@]}"; do [ ! -e "$out/$f" ] || written+=("$f"); done
say "reports in $out: ${written[*]:-none}"
exit "$worst"
