# Energy windows under mpiexec -n 4, on one node:
#  - rapl against a live powercap tree (tcb_powercap_play: the package at
#    60 W, its DRAM at 6 W, the package counter wrapping 1.5 s after the
#    start, during the first run, and every 10 s after): the
#    node's counters are read once, not once per rank, so a 0.4 s window
#    shows 66 W, not 264 W;
#  - nvml against the stand-in library with four GPUs drawing 250 W each:
#    one reading per rank, summed to 1000 W; a window shorter than NVML's
#    100 ms update period is flagged invalid, never 0 J;
#  - power sampling (a GPU without the counter), auto with what works and
#    what does not, none, and the configuration errors, which stop every rank
#    with exit status 2 before anything is written.
. "$(dirname "$0")/lib.sh"
NP=4
TOOLS=$(dirname "$CHECK")
PLAY=$TOOLS/tcb_powercap_play
FAKE_NVML=$TOOLS/libtcb_fake_nvml.so
suite=$SUITES/energy.yaml
[ -x "$PLAY" ] && [ -f "$FAKE_NVML" ] || fail "missing $PLAY or $FAKE_NVML (build the tests)"

# Every backend points at something that does not exist unless a test says
# otherwise: the result must not depend on this machine's hardware.
export TCBENCH_POWERCAP_ROOT=$WORK/no-powercap
export TCBENCH_NVML_LIBRARY=$WORK/no-libnvidia-ml.so.1
export TCBENCH_AMDSMI_LIBRARY=$WORK/no-libamd_smi.so

root=$WORK/powercap
"$PLAY" "$root" 60 6 600 1.5 250 &
player=$!
trap 'kill $player 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -e "$root/ready" ] && break; sleep 0.05; done
[ -e "$root/ready" ] || fail "the powercap player did not start"

# within WHAT GOT WANT TOL: |GOT - WANT| <= TOL x WANT.
within() {
    awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d;
        exit !(g ~ /^[0-9.eE+-]+$/ && d <= t * w) }' || fail "$1: got $2, want $3 +- $4"
    pass "$1 = $2 (want $3 +- $4)"
}

# run NAME ENERGY [ENV...]: a run of the suite with --set energy=ENERGY.
run() {
    local name=$1 energy=$2; shift 2
    run_status st env "$@" "$MPIEXEC" -n $NP "$TCBENCH" run "$suite" --set "energy=$energy" \
        -o "$WORK/$name" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
    [ "$st" -eq 0 ] || { tail -20 "$WORK/$name.err"; fail "$name: exit status $st"; }
    expect_eq "$name: records" "$("$CHECK" lines "$WORK/$name/results.jsonl")" 5
}
f() { "$CHECK" field "$WORK/$1/results.jsonl" "$2" "$3"; }

# ---- rapl: node-level counters read by one rank -------------------------------
run rapl '[rapl]' TCBENCH_POWERCAP_ROOT="$root"
r=$WORK/rapl/results.jsonl
# The allreduce may end within RAPL's 1 ms update period: valid or flagged so.
for i in 0 2 3 4; do expect_eq "rapl case $i complete" "$(f rapl $i energy.complete)" true; done
[ "$(f rapl 1 energy.complete)" == true ] || f rapl 1 energy.why | has "shorter than the counter" ||
    fail "rapl case 1: $(f rapl 1 energy)"
for i in 0 4; do
    expect_eq "rapl case $i readings" "$(f rapl $i energy.readings.2)" "<missing>"
    expect_eq "rapl case $i read by" "$(f rapl $i energy.readings.0.rank)$(f rapl $i \
        energy.readings.1.rank)" "00"
    expect_eq "rapl case $i devices" "$(f rapl $i energy.readings.0.device) $(f rapl $i \
        energy.readings.1.device)" '"package-0" "package-0/dram"'
    # Counted once per node, the core subzone not at all: 60 + 6 W.
    within "rapl case $i avg_watts" "$(f rapl $i metrics.avg_watts)" 66 0.05
    within "rapl case $i dram" "$(f rapl $i energy.by_scope.dram)" \
        "$(awk -v w="$(f rapl $i energy.window_s)" 'BEGIN { print 6 * w }')" 0.05
done
# Energy per FLOP and per token follow from the work the workloads record.
gf=$(awk -v f="$(f rapl 2 metrics.iter_flops)" -v j="$(f rapl 2 metrics.joules)" \
    'BEGIN { printf "%.17g", f * 4 / 1e9 / j }')
within "gemm gflop_per_joule" "$(f rapl 2 metrics.gflop_per_joule)" "$gf" 1e-9
jt=$(awk -v t="$(f rapl 3 metrics.iter_tokens)" -v j="$(f rapl 3 metrics.joules)" \
    -v n="$(f rapl 3 iters)" 'BEGIN { printf "%.17g", j / (t * n) }')
within "transformer joules_per_token" "$(f rapl 3 metrics.joules_per_token)" "$jt" 1e-9
expect_eq "transformer iter_tokens (4 ranks x 4 x 16)" "$(f rapl 3 metrics.iter_tokens)" 256.0
has '^# energy: rapl on 1 rank$' <"$WORK/rapl.out" || fail "rapl: header: $(head -2 "$WORK/rapl.out")"
expect_eq "run.json asked" "$("$CHECK" json "$WORK/rapl/run.json" energy.asked)" '["rapl"]'
expect_eq "run.json rapl opened on" \
    "$("$CHECK" json "$WORK/rapl/run.json" energy.tried.0.opened_on_ranks)" 1

# ---- the cost model takes the measured watts of one device ----------------
# This machine's CPU row: the transformer case's package power (60 W) in
# place of TDP x power_draw.
run_status st "$TCBENCH" cost "$WORK/rapl" -o "$WORK/cost" >"$WORK/cost.out" 2>"$WORK/cost.err"
[ "$st" -eq 0 ] || { cat "$WORK/cost.err"; fail "cost exit status $st"; }
src=$("$CHECK" json "$WORK/cost/cost.json" cells.0.inputs.power)
case "$src" in
    '"measured: run energy-'*'case 3, 1 cpu-package reading(s) (counter), '*) pass "power: $src" ;;
    *) fail "cost power source: $src" ;;
esac
within "cost: W per device" "$(grep -o '[0-9.]* W per device' <<<"$src" | cut -d' ' -f1)" 60 0.1

# ---- nvml: a counter per rank's GPU ---------------------------------------------
run nvml '[nvml]' TCBENCH_NVML_LIBRARY="$FAKE_NVML" TCB_FAKE_NVML_GPUS=4 \
    TCB_FAKE_NVML_SCRIPT=rate:250
for i in 0 4; do
    expect_eq "nvml case $i ranks" "$(f nvml $i energy.readings.0.rank)$(f nvml $i \
        energy.readings.1.rank)$(f nvml $i energy.readings.2.rank)$(f nvml $i \
        energy.readings.3.rank)" "0123"
    expect_eq "nvml case $i rank 3's GPU" "$(f nvml $i energy.readings.3.device)" \
        '"GPU 3 Fake GPU 3"'
    within "nvml case $i avg_watts (4 x 250)" "$(f nvml $i metrics.avg_watts)" 1000 0.05
done
# A 4-iteration 64 KiB allreduce is over long before NVML's counter moves.
expect_eq "nvml short window: measured" "$(f nvml 1 energy.measured)" false
f nvml 1 energy.why | has "shorter than" || fail "short window: $(f nvml 1 energy.why)"
expect_eq "nvml short window: joules" "$(f nvml 1 energy.readings.0.joules)" null
expect_eq "nvml short window: no metric" "$(f nvml 1 metrics.joules)" "<missing>"

# ---- power sampling where the GPU has no counter ----------------------------
run sampling '[nvml]' TCBENCH_NVML_LIBRARY="$FAKE_NVML" TCB_FAKE_NVML_GPUS=4 \
    TCB_FAKE_NVML_SCRIPT=power:150000
for i in 0 4; do
    expect_eq "sampling case $i method" "$(f sampling $i energy.methods)" '["power-sampling"]'
    within "sampling case $i avg_watts (4 x 150)" "$(f sampling $i metrics.avg_watts)" 600 0.05
done

# Asked for: power sampling on GPUs that have the counter (the check of one
# method against the other on real hardware).
run forced '[nvml]' TCBENCH_NVML_LIBRARY="$FAKE_NVML" TCB_FAKE_NVML_GPUS=4 \
    TCB_FAKE_NVML_SCRIPT=rate:250 TCBENCH_NVML_METHOD=power-sampling
expect_eq "forced sampling method" "$(f forced 0 energy.methods)" '["power-sampling"]'
within "forced sampling avg_watts (4 x 250)" "$(f forced 0 metrics.avg_watts)" 1000 0.05

# ---- auto: what works, and what it tried ------------------------------------
# Two GPUs for four ranks: ranks 2 and 3 have none. rapl on the node's reader.
run auto auto TCBENCH_POWERCAP_ROOT="$root" TCBENCH_NVML_LIBRARY="$FAKE_NVML" \
    TCB_FAKE_NVML_SCRIPT=rate:250
within "auto case 0 avg_watts (2 x 250 + 66)" "$(f auto 0 metrics.avg_watts)" 566 0.05
has '^# energy: nvml on 2 ranks, rapl on 1 rank$' <"$WORK/auto.out" ||
    fail "auto: header: $(head -2 "$WORK/auto.out")"
expect_eq "auto backends" "$(f auto 0 energy.backends)" '["nvml","rapl"]'
m=$WORK/auto/run.json
expect_eq "auto tried" "$("$CHECK" json "$m" energy.tried.0.backend)$("$CHECK" json "$m" \
    energy.tried.1.backend)$("$CHECK" json "$m" energy.tried.2.backend)" '"nvml""amdsmi""rapl"'
expect_eq "auto: nvml opened/failed" "$("$CHECK" json "$m" energy.tried.0.opened_on_ranks)/$(
    "$CHECK" json "$m" energy.tried.0.failed_on_ranks)" "2/2"
"$CHECK" json "$m" energy.tried.0.error | has "rank 2: nvml: this rank's device 2 does not" ||
    fail "nvml error: $("$CHECK" json "$m" energy.tried.0.error)"
expect_eq "auto: amdsmi failed on" "$("$CHECK" json "$m" energy.tried.1.failed_on_ranks)" 4
expect_eq "auto: the record's tried" "$(f auto 0 energy.tried)" \
    "$("$CHECK" json "$m" energy.tried)"

# ---- nothing works, or nothing asked: every record still says so ------------
run nothing auto
r=$WORK/nothing/results.jsonl
expect_eq "nothing: not measured" "$("$CHECK" count "$r" energy.measured false)" 5
has "^# energy: not measured: no energy backend works here (run.json's" <"$WORK/nothing.out" ||
    fail "nothing: header: $(head -2 "$WORK/nothing.out")"
expect_eq "nothing: why" "$(f nothing 0 energy.why)" '"no energy backend works here"'
"$CHECK" json "$WORK/nothing/run.json" energy.tried.2.error | has "no RAPL zones under" ||
    fail "rapl's error missing from run.json"
run_status st "$TCBENCH" cost "$WORK/nothing" -o "$WORK/cost2" >/dev/null 2>&1
expect_eq "nothing: cost exit status" "$st" 0
case "$("$CHECK" json "$WORK/cost2/cost.json" cells.0.inputs.power)" in
    '"assumed: '* | '"unknown: '*) pass "nothing measured: power not claimed as measured" ;;
    *) fail "power source: $("$CHECK" json "$WORK/cost2/cost.json" cells.0.inputs.power)" ;;
esac
run none none TCBENCH_POWERCAP_ROOT="$root"
expect_eq "none: why" "$("$CHECK" count "$WORK/none/results.jsonl" energy.why \
    '"the suite asks for energy: none"')" 5

# ---- a case that never ends: the window's barrier must not hide who hung ----
run_status st env TCBENCH_POWERCAP_ROOT="$root" "$MPIEXEC" -n 2 "$TCBENCH" run \
    "$SUITES/timeout.yaml" --set 'energy=[rapl]' -o "$WORK/hang" >"$WORK/hang.out" \
    2>"$WORK/hang.err" || true
expect_eq "hang: exit status" "$st" 3
expect_eq "hang: first case measured" "$(f hang 0 energy.complete)" true
expect_eq "hang: unfinished ranks" "$(f hang 1 check.unfinished_ranks)" "[1]"
expect_eq "hang: energy" "$(f hang 1 energy.why)" '"the case did not end: the watchdog stopped it"'

# ---- configuration errors: exit 2 on every rank, nothing written -------------
# bad WHAT WANT ENERGY [ENV...]: ENERGY for --set energy= ("" for the suite's).
bad() {
    local what=$1 want=$2 energy=$3; shift 3
    local set=(); [ -z "$energy" ] || set=(--set "energy=$energy")
    run_status st env "$@" "$MPIEXEC" -n $NP "$TCBENCH" run "$suite" "${set[@]}" \
        -o "$WORK/bad" >"$WORK/bad.out" 2>"$WORK/bad.err" || true
    expect_eq "$what: exit status" "$st" 2
    has "$want" <"$WORK/bad.err" || { cat "$WORK/bad.err"; fail "$what: no '$want'"; }
    expect_eq "$what: messages" "$(grep -c -e "$want" "$WORK/bad.err")" 1
    [ ! -e "$WORK/bad" ] || fail "$what: $WORK/bad was created"
    pass "$what: nothing written"
}
bad "listed rapl without RAPL" "energy backend 'rapl' does not work here: rapl: no RAPL zones" \
    '[rapl]'
bad "listed nvml, 2 GPUs for 4 ranks" "rank's device 2 does not exist" '[nvml]' \
    TCBENCH_NVML_LIBRARY="$FAKE_NVML" TCB_FAKE_NVML_SCRIPT=rate:250
bad "a bad sampling period" "TCBENCH_ENERGY_SAMPLE_S='fast': not a number of seconds" '' \
    TCBENCH_ENERGY_SAMPLE_S=fast
bad "a bad nvml method" "TCBENCH_NVML_METHOD='both': not counter or power-sampling" '' \
    TCBENCH_NVML_METHOD=both
