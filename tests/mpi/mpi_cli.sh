# The command line: --dry-run, --set, bad flags, list, version, topo, and a run
# directory that already holds a run.
. "$(dirname "$0")/lib.sh"
suite=$SUITES/corrupt.yaml

"$TCBENCH" run "$suite" --dry-run > "$WORK/dry"
expect_eq "dry-run cases" "$(grep -c '^case ' "$WORK/dry")" 4
"$TCBENCH" run "$suite" --dry-run --set iters=7 --set 'size=[1KiB, 2KiB]' > "$WORK/dry2"
expect_eq "--set size list doubles the cases" "$(grep -c '^case ' "$WORK/dry2")" 8
expect_eq "--set iters applies everywhere" "$(grep -c 'iters=7 ' "$WORK/dry2")" 8
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$suite" --dry-run >"$WORK/dry3" 2>&1 || true
expect_eq "dry-run under mpiexec: status" "$st" 0
expect_eq "dry-run under mpiexec: printed once" "$(grep -c '^case 0:' "$WORK/dry3")" 1
[ ! -d runs ] || [ -z "$(ls -A runs 2>/dev/null | grep corrupt)" ] || fail "dry-run wrote a run"

for bad in "--bogus" "-o" "--set" "--set nokey"; do
    # shellcheck disable=SC2086
    run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$suite" $bad >"$WORK/out" 2>"$WORK/err" || true
    expect_eq "run $bad: status" "$st" 2
done
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run >"$WORK/out" 2>"$WORK/err" || true
expect_eq "run without a suite: status" "$st" 2
grep -q "SUITE.yaml is missing" "$WORK/err" || fail "no missing-suite message"
run_status st "$TCBENCH" frobnicate >"$WORK/out" 2>"$WORK/err" || true
expect_eq "unknown command: status" "$st" 2

# A workload's own cross-parameter check: root 5 with 2 ranks.
printf 'name: r\ncases:\n  - workload: collective\n    backend: mpi\n    params: {collective: reduce, root: 5}\n' > "$WORK/root.yaml"
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$WORK/root.yaml" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "root beyond the ranks: status" "$st" 2
grep -q "root.yaml:3:5: case 0: root 5 is not a rank" "$WORK/err" || { cat "$WORK/err"; fail "no root message"; }

"$TCBENCH" list > "$WORK/list"
for word in collective sleep mpi allreduce bfloat16 topology; do
    grep -q "$word" "$WORK/list" || fail "list lacks $word"
done
pass "list names workloads, backends, collectors"
"$TCBENCH" version | has '^tcbench [0-9]' || fail "version"
"$TCBENCH" version | has '^MPI ' || fail "version lacks MPI"
pass "version"

run_status st "$MPIEXEC" -n 2 "$TCBENCH" topo >"$WORK/topo" 2>"$WORK/err" || true
expect_eq "topo: status" "$st" 0
expect_eq "topo: one block per node" "$(grep -c '^node0 ' "$WORK/topo")" 1
run_status st "$MPIEXEC" -n 2 "$TCBENCH" topo --json >"$WORK/topo.json" 2>"$WORK/err" || true
expect_eq "topo --json: status" "$st" 0
expect_eq "topo --json: ranks of node 0" "$("$CHECK" json "$WORK/topo.json" 0.ranks)" "[0,1]"
[ "$("$CHECK" json "$WORK/topo.json" 0.topology.pus)" -ge 1 ] || fail "topo --json: no PUs"

# A directory that already holds a run is refused, and left as it was.
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/timeout.yaml" --set timeout_s=30 \
    --set seconds=0.01 -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "first run: status" "$st" 0
sum=$(cat "$WORK/run/run.json" "$WORK/run/results.jsonl" | md5sum)
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$suite" -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "second run into it: status" "$st" 2
grep -q "already holds a run" "$WORK/err" || fail "no 'already holds a run' message"
expect_eq "first run untouched" "$(cat "$WORK/run/run.json" "$WORK/run/results.jsonl" | md5sum)" "$sum"
# A directory with only a results.jsonl (a run.json lost by hand) is refused too.
mkdir -p "$WORK/half" && echo '{"kept": true}' > "$WORK/half/results.jsonl"
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$suite" -o "$WORK/half" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "run into a dir with results.jsonl: status" "$st" 2
expect_eq "its results.jsonl untouched" "$(cat "$WORK/half/results.jsonl")" '{"kept": true}'
