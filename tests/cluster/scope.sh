# Scope is real (issue 8, item 2): 2 hosts x 2 ranks, each host's link shaped
# to 1 Gbit/s. The cross scope (one rank per host, over the link) must measure
# the shaped rate within 15% for large messages, the node scope (shared
# memory inside a host) far above it; run.json lists both hosts with their
# topologies; the cost model's fitted cross-node all-reduce bandwidth is the
# link's.
#   bash scope.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
. "$(dirname "$0")/lib.sh"

RATE_BPS=125000000 # 1 Gbit/s in bytes per second
cat >"$WORK/scope.yaml" <<'EOF'
name: cluster-scope
defaults: {warmup: 2, iters: 5, timeout_s: 120}
cases:
  - workload: collective
    backend: mpi
    params:
      collective: allreduce
      scope: [node, cross]
      size: [16MiB, 32MiB, 64MiB]
EOF

in_cluster --rate 1gbit -- bash -c '"$TCB_CLUSTER_MPIRUN" -n 4 "$0" run "$1" -o "$2"' \
    "$TCBENCH" "$WORK/scope.yaml" "$WORK/run" >"$WORK/run.out" 2>&1 ||
    { tail -30 "$WORK/run.out"; fail "the run across the cluster failed"; }
cat "$WORK/run.out"

m=$WORK/run/run.json
expect_eq "world" "$("$CHECK" json "$m" world.ranks) $("$CHECK" json "$m" world.nodes)" "4 2"
expect_eq "hosts" "$("$CHECK" json "$m" nodes.0.hostname) $("$CHECK" json "$m" \
    nodes.1.hostname)" '"h1" "h2"'
expect_eq "ranks per host" "$("$CHECK" json "$m" nodes.0.ranks) $("$CHECK" json "$m" \
    nodes.1.ranks)" "[0,1] [2,3]"
for n in 0 1; do
    pus=$("$CHECK" json "$m" nodes.$n.topology.pus)
    [[ $pus =~ ^[1-9][0-9]*$ ]] || fail "node $n: no topology (pus '$pus')"
    pass "node $n has its topology ($pus PUs)"
done

# The records in order: node 16, 32, 64 MiB, then cross 16, 32, 64 MiB.
r=$WORK/run/results.jsonl
busbw() { "$CHECK" field "$r" "$1" metrics.busbw_GBps; }
cross=$(busbw 5) node=$(busbw 2)
awk -v c="$cross" -v rate="$RATE_BPS" 'BEGIN { d = c * 1e9 / rate - 1;
    exit !(d <= 0.15 && d >= -0.15) }' ||
    fail "cross scope at 64 MiB: busbw $cross GB/s, not within 15% of the shaped 0.125 GB/s"
pass "cross scope at 64 MiB: busbw $cross GB/s, the shaped link is 0.125 GB/s"
awk -v n="$node" -v c="$cross" 'BEGIN { exit !(n >= 2 * c) }' ||
    fail "node scope at 64 MiB: busbw $node GB/s is not far above the link's $cross GB/s"
pass "node scope at 64 MiB: busbw $node GB/s, over twice the link"

# The cost model's fit of the cross-node all-reduce is the link.
"$TCBENCH" cost "$WORK/run" -o "$WORK/cost" >"$WORK/cost.out" 2>&1 ||
    { cat "$WORK/cost.out"; fail "tcbench cost"; }
c=$WORK/cost/cost.json fit=none
for ((i = 0; ; i++)); do
    what=$("$CHECK" json "$c" fits.$i.collective)
    [ "$what" != "<missing>" ] || break
    [ "$what $("$CHECK" json "$c" fits.$i.scope)" == '"allreduce" "cross"' ] &&
        fit=$("$CHECK" json "$c" fits.$i.busbw_Bps)
done
[ "$fit" != none ] || { cat "$WORK/cost.out"; fail "no cross-scope all-reduce fit"; }
awk -v f="$fit" -v rate="$RATE_BPS" 'BEGIN { d = f / rate - 1; exit !(d <= 0.15 && d >= -0.15) }' ||
    fail "the cost model's cross all-reduce fit: busbw $fit B/s, not within 15% of $RATE_BPS"
pass "the cost model's cross all-reduce fit: busbw $fit B/s (link $RATE_BPS B/s)"
