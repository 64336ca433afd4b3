# Slurm (issue 8, item 3): slurmctld and one slurmd per host of the test
# cluster; the nightly batch script (ci/nightly/tcbench-nightly.sbatch),
# submitted with sbatch for 2 nodes x 2 tasks, runs a suite across both hosts
# through mpirun in the allocation. The manifest's world size and node count
# must be the allocation's, and its nodes the allocated hosts.
#   bash slurm_nightly.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
. "$(dirname "$0")/lib.sh"
repo=$(cd "$TESTS/.." && pwd)

cat >"$WORK/submit.sh" <<'EOF'
# Inside the cluster: submit the night from the controller and wait for it.
set -euo pipefail
work=$1 tcbench=$2 repo=$3
# Open MPI in the allocation: the cluster's subnet, its ranks yielding (many
# ranks on few cores), as tests/cluster/mpirun sets for mpirun outside Slurm.
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=10.213.0.0/24 \
    OMPI_MCA_oob_tcp_if_include=10.213.0.0/24 OMPI_MCA_mpi_yield_when_idle=1 \
    OMPI_MCA_rmaps_base_oversubscribe=1
export TCB_REPO=$repo TCBENCH=$tcbench TCB_HOME=$work/home TCB_SUITE=$work/suite.yaml
"$TCB_CLUSTER_ON" ctl sbatch --wait --nodes=2 --ntasks-per-node=2 --time=10 \
    --output="$work/job-%j.out" --chdir="$work" --export=ALL \
    "$repo/ci/nightly/tcbench-nightly.sbatch"
EOF
cat >"$WORK/suite.yaml" <<'EOF'
name: slurm-night
defaults: {warmup: 1, iters: 5, timeout_s: 60}
cases:
  - workload: sleep
    params: {seconds: 0.01}
  - workload: collective
    backend: mpi
    params: {collective: allreduce, scope: [world, cross], size: [64KiB, 1MiB]}
EOF

st=0
in_cluster --slurm -- bash "$WORK/submit.sh" "$WORK" "$TCBENCH" "$repo" >"$WORK/submit.out" 2>&1 ||
    st=$?
cat "$WORK/submit.out" "$WORK"/job-*.out 2>/dev/null | tail -40
# The first night has nothing to compare with: 0 (or 1 where a check failed).
expect_eq "sbatch --wait status (the night's)" "$st" 0

run=$(ls -d "$WORK"/home/jobs/*/runs/* 2>/dev/null | head -1)
[ -n "$run" ] || fail "the night left no run directory under $WORK/home/jobs"
m=$run/run.json
env() { "$CHECK" json "$m" "environment.$1" | tr -d '"'; }
expect_eq "job id in the manifest" "$(env SLURM_JOB_ID | grep -c '^[0-9][0-9]*$')" 1
expect_eq "allocation" "$(env SLURM_JOB_NUM_NODES) nodes, $(env SLURM_NTASKS) tasks" \
    "2 nodes, 4 tasks"
expect_eq "world = allocation" "$("$CHECK" json "$m" world.nodes) nodes, $("$CHECK" json "$m" \
    world.ranks) tasks" "$(env SLURM_JOB_NUM_NODES) nodes, $(env SLURM_NTASKS) tasks"
expect_eq "hosts" "$("$CHECK" json "$m" nodes.0.hostname) $("$CHECK" json "$m" \
    nodes.1.hostname)" '"h1" "h2"'
expect_eq "finished" "$("$CHECK" json "$m" finished)" true
expect_eq "records" "$("$CHECK" lines "$run/results.jsonl")" 5
expect_eq "cases ok" "$("$CHECK" count "$run/results.jsonl" check.status '"ok"')" 5
