# One fault, once, inside a running test cluster (2 hosts x 2 ranks; rank 3
# lives on h2). Exit 0 when tcbench behaved as it must, else 1 with why.
#   bash fault.sh kill|stop|link|set DIR TCBENCH CHECK_RUN
set -euo pipefail
fault=$1 dir=$2 TCBENCH=$3 CHECK=$4
mkdir -p "$dir"
run=$dir/run r=$dir/run/results.jsonl m=$dir/run/run.json

fail() { echo "FAIL: $fault: $*" >&2; exit 1; }
has() { local text; text=$(cat); grep -q -e "$1" <<<"$text"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
records() { [ -f "$r" ] && wc -l <"$r" || echo 0; }

# wait_records N PID: until results.jsonl has N lines, while PID lives.
wait_records() {
    local deadline=$((SECONDS + 60))
    while [ "$(records)" -lt "$1" ]; do
        kill -0 "$2" 2>/dev/null || fail "the run ended before $1 records"
        [ "$SECONDS" -lt "$deadline" ] || fail "no $1 records in 60 s"
        sleep 0.1
    done
}

# rank_pid RANK: the tcbench process of that world rank (hosts share this
# machine's process table; Open MPI tells each rank its number).
rank_pid() {
    local pid
    for pid in $(pgrep -f -- "tcbench run .*-o $run" || true); do
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | has "^OMPI_COMM_WORLD_RANK=$1\$" &&
            { echo "$pid"; return 0; }
    done
    fail "no process of rank $1"
}

# Every line whole, n of them, and run.json unfinished with the reason.
written_intact() {
    local n
    n=$("$CHECK" lines "$r") || fail "a line of results.jsonl does not parse"
    [ "$n" -ge "$1" ] || fail "$n records, fewer than the $1 written before the fault"
    [ "$("$CHECK" json "$m" finished)" == false ] || fail "run.json says finished"
    "$CHECK" json "$m" unfinished_why | has "$2" ||
        fail "run.json's unfinished_why is $("$CHECK" json "$m" unfinished_why), want '$2'"
    ! ls -a "$run" | has '\.tmp\.' || fail "a temporary file was left behind"
}

# The case running when the fault struck is named: by a timeout record, last;
# or, where the fault struck after that case's own record was written (in
# its closing agreement), by run.json.
timeout_record_last() {
    local c
    c=$("$CHECK" field "$r" -1 case)
    if [ "$("$CHECK" field "$r" -1 check.status)" == '"timeout"' ]; then
        "$CHECK" field "$r" -1 check.detail | has "case $c exceeded timeout_s=$1" ||
            fail "the timeout record does not name case $c: $("$CHECK" field "$r" -1 check.detail)"
        echo "timeout record names case $c"
    else
        "$CHECK" json "$m" unfinished_why |
            has "case $c exceeded timeout_s=$1.*record was already written" ||
            fail "neither a timeout record nor run.json names case $c: last record" \
                "$("$CHECK" field "$r" -1 check), run.json $("$CHECK" json "$m" unfinished_why)"
        echo "run.json names case $c, stuck after its record"
    fi
}

signal_rank() { kill -"$2" "$(rank_pid "$1")"; } # signal_rank RANK SIGNAL

# strike N FAULT...: runs the suite across the cluster, and once N records
# are written runs FAULT... (a command); then waits for the job. Sets before
# (records written before the fault), st (the job's status) and took
# (seconds from the fault to the job's end).
strike() {
    local n=$1 launcher t0; shift
    # A job that never ends is a failure of its own (124), not a stuck test.
    timeout -k 5 120 "$TCB_CLUSTER_MPIRUN" -n 4 "$TCBENCH" run "$dir/suite.yaml" -o "$run" \
        >"$dir/out" 2>&1 &
    launcher=$!
    wait_records "$n" $launcher
    before=$(records)
    "$@"
    t0=$(now)
    st=0
    wait $launcher || st=$?
    took=$(elapsed "$t0")
}

sleeps() { # sleeps TIMEOUT: 40 cases of 2 x 0.05 s on every rank
    printf 'name: sleeps\ndefaults: {warmup: 0, iters: 2, timeout_s: %s}\ncases:\n' "$1"
    printf '  - workload: sleep\n    params:\n'
    printf '      seconds: {from: 0.05, to: 0.0895, step: 0.001}\n'
}

case $fault in
kill) # SIGKILL on rank 3 mid-suite
    sleeps 60 >"$dir/suite.yaml"
    strike 3 signal_rank 3 KILL
    [ "$st" -ne 0 ] || fail "the job exited 0 with a rank killed"
    written_intact "$before" "stopped by SIGTERM"
    echo "exit status $st, $("$CHECK" lines "$r") whole records, run.json: unfinished, why"
    ;;
stop) # SIGSTOP on rank 3: a hang
    timeout=4
    sleeps $timeout >"$dir/suite.yaml"
    strike 3 signal_rank 3 STOP
    [ "$st" -eq 3 ] || fail "exit status $st, want 3 (a timeout)"
    awk -v t="$took" -v lim=$((timeout + 10)) 'BEGIN { exit !(t <= lim) }' ||
        fail "the job ended ${took}s after the stop, more than timeout + 10 s"
    timeout_record_last $timeout
    written_intact "$before" "exceeded timeout_s=$timeout"
    echo "ended ${took}s after SIGSTOP (timeout_s $timeout), exit status 3"
    ;;
link) # h2's link pulled in the middle of cross-host all-reduces
    timeout=10
    cat >"$dir/suite.yaml" <<EOF
name: link-down
defaults: {warmup: 1, iters: 10, timeout_s: $timeout}
cases:
  - workload: collective
    backend: mpi
    params:
      collective: allreduce
      scope: cross
      size: {from: 1MiB, to: 4MiB, factor: 2}
      op: [sum, max, min]
      dtype: [float32, int32]
EOF
    strike 2 "$TCB_CLUSTER_LINK" h2 down
    [ "$st" -ne 0 ] || fail "the job exited 0 without h2"
    awk -v t="$took" -v lim=$((timeout + 10)) 'BEGIN { exit !(t <= lim) }' ||
        fail "the job ended ${took}s after the link went down, more than timeout + 10 s"
    timeout_record_last $timeout
    written_intact "$before" "exceeded timeout_s=$timeout"
    for ((i = 0; i < before; i++)); do
        [ "$("$CHECK" field "$r" $i check.status)" == '"ok"' ] || fail "record $i is not ok"
    done
    echo "ended ${took}s after the link went down (timeout_s $timeout), exit status $st"
    ;;
set) # rank 3 alone given --set iters=7: caught before anything is measured
    sleeps 60 >"$dir/suite.yaml"
    cat >"$dir/per-rank.sh" <<EOF
#!/bin/sh
set -- "$TCBENCH" run "$dir/suite.yaml" -o "$run"
[ "\$OMPI_COMM_WORLD_RANK" = 3 ] && set -- "\$@" --set iters=7
"\$@"
st=\$?
echo \$st >"$dir/status.\$OMPI_COMM_WORLD_RANK"
exit \$st
EOF
    chmod +x "$dir/per-rank.sh"
    # Every rank runs to its own end: the launcher does not end the job at
    # the first non-zero status, so each rank's status can be seen (mpirun
    # itself then exits 0: it reports a status only when it aborts).
    timeout -k 5 120 "$TCB_CLUSTER_MPIRUN" -n 4 --mca orte_abort_on_non_zero_status 0 \
        "$dir/per-rank.sh" >"$dir/out" 2>&1 || fail "the launcher failed or hung"
    for rank in 0 1 2 3; do
        [ "$(cat "$dir/status.$rank" 2>/dev/null)" == 2 ] ||
            fail "rank $rank exited $(cat "$dir/status.$rank" 2>/dev/null || echo '(none)')"
    done
    has "differs from rank 0's copy, in its file or its --set" <"$dir/out" ||
        fail "no message that the suites differ"
    [ ! -e "$r" ] || fail "something was measured"
    echo "every rank exited 2 before measuring"
    ;;
*) fail "no such fault" ;;
esac
