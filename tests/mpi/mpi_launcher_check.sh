# N ranks started as N singletons (a launcher that does not match the MPI
# library) are caught: status 2 and a message saying so. A singleton with no
# launcher variables runs normally.
. "$(dirname "$0")/lib.sh"
cat > "$WORK/s.yaml" <<'YAML'
name: launcher
cases:
  - workload: sleep
    params: {seconds: 0.001}
YAML
for var in PMI_SIZE SLURM_STEP_NUM_TASKS; do
    run_status st env "$var=2" "$TCBENCH" run "$WORK/s.yaml" -o "$WORK/r-$var" \
        >"$WORK/out" 2>"$WORK/err" || true
    expect_eq "$var=2 singleton: exit status" "$st" 2
    grep -q "$var=2 but MPI started this process as a singleton" "$WORK/err" \
        || { cat "$WORK/err"; fail "no singleton message"; }
    [ ! -e "$WORK/r-$var/results.jsonl" ] || fail "a mismatched job measured anyway"
done
# Inside an srun step SLURM_NTASKS is the step's size and counts.
run_status st env SLURM_NTASKS=2 SLURM_STEP_ID=0 "$TCBENCH" run "$WORK/s.yaml" -o "$WORK/r-step" \
    >"$WORK/out" 2>"$WORK/err" || true
expect_eq "SLURM_NTASKS=2 in a step, singleton: exit status" "$st" 2
# topo checks too: a mismatched job would print each node N times.
run_status st env PMI_SIZE=2 "$TCBENCH" topo >"$WORK/out" 2>"$WORK/err" || true
expect_eq "topo as a mismatched singleton: exit status" "$st" 2
# SLURM_NTASKS alone is the allocation's size, not this step's: no complaint.
run_status st env SLURM_NTASKS=8 "$TCBENCH" run "$WORK/s.yaml" -o "$WORK/r-alloc" \
    >"$WORK/out" 2>"$WORK/err" || true
expect_eq "SLURM_NTASKS without a step: exit status" "$st" 0
run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$WORK/s.yaml" -o "$WORK/r-ok" >"$WORK/out" 2>"$WORK/err" || true
expect_eq "mpiexec -n 2: exit status" "$st" 0
expect_eq "mpiexec -n 2: ranks" "$("$CHECK" field "$WORK/r-ok/results.jsonl" 0 ranks)" 2
