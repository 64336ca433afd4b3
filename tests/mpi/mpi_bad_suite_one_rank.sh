# A rank that fails to parse the suite makes every rank exit 2, without a hang,
# before anything is measured; the message names file:line:column once.
. "$(dirname "$0")/lib.sh"
cat > "$WORK/good.yaml" <<'YAML'
name: good
cases:
  - workload: sleep
    params: {seconds: 0.001}
YAML
printf 'name: bad\ncases:\n  - workload: sleep\n    params: {seconds: -1}\n' > "$WORK/bad.yaml"
# Rank 1 reads a different (broken) file: a stale copy on one node.
cat > "$WORK/per-rank.sh" <<SH
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then s=$WORK/bad.yaml; else s=$WORK/good.yaml; fi
exec "$TCBENCH" run "\$s" -o "$WORK/run"
SH
chmod +x "$WORK/per-rank.sh"
for np in 2 4; do
    run_status st "$MPIEXEC" -n $np "$WORK/per-rank.sh" >"$WORK/out" 2>"$WORK/err" || true
    expect_eq "np $np exit status" "$st" 2
    grep -q "bad.yaml:4:23: " "$WORK/err" || { cat "$WORK/err"; fail "no file:line:column"; }
    expect_eq "np $np messages" "$(grep -c 'bad.yaml:4' "$WORK/err")" 1
    [ ! -e "$WORK/run/results.jsonl" ] || fail "something was measured"
done
pass "one failing rank stops all"

# Every rank fails: still one message, status 2.
run_status st "$MPIEXEC" -n 4 "$TCBENCH" run "$WORK/bad.yaml" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "all ranks bad: exit status" "$st" 2
expect_eq "all ranks bad: messages" "$(grep -c 'bad.yaml:4' "$WORK/err")" 1

# A suite that parses on every rank but differs between them is refused too.
cp "$WORK/good.yaml" "$WORK/good2.yaml"; echo "# changed" >> "$WORK/good2.yaml"
sed -e "s|bad.yaml|good2.yaml|" "$WORK/per-rank.sh" > "$WORK/per-rank2.sh"; chmod +x "$WORK/per-rank2.sh"
run_status st "$MPIEXEC" -n 2 "$WORK/per-rank2.sh" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "differing suites: exit status" "$st" 2
grep -q "differs from rank 0's copy" "$WORK/err" || fail "no 'differs' message"
