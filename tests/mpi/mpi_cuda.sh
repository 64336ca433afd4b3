# The cuda compute backend on a GPU: gemm in every dtype and storage and
# membw's four kernels, verified; a transformer's 20 steps on cuda in f32
# and in bf16 against the cpu backend's losses; peak device memory and the
# backend's library versions in the records and run.json. Exits 77 (CTest:
# skipped) where tcbench has no cuda backend or the machine no CUDA device,
# saying which.
. "$(dirname "$0")/lib.sh"
skip() { echo "SKIP: $*"; exit 77; }

"$TCBENCH" list | has '^  cuda ' || skip "tcbench was built without the cuda backend"

# The probe goes the real way: a GPU that nvidia-smi lists can still lack a
# working driver, and a build can lack the device's architecture.
cat >"$WORK/probe.yaml" <<'YAML'
name: cuda-probe
defaults: {warmup: 1, iters: 1, timeout_s: 60}
cases:
  - workload: gemm
    backend: cuda
    params: {m: 64, n: 64, k: 64}
YAML
run_status st "$TCBENCH" run "$WORK/probe.yaml" -o "$WORK/probe" \
    >"$WORK/probe.out" 2>"$WORK/probe.err" || true
if [ "$st" -ne 0 ]; then
    why=$(sed -n 's/.*\(no CUDA device on .*\)/\1/p' "$WORK/probe.err" | head -1)
    [ -z "$why" ] || skip "$why"
    tail -20 "$WORK/probe.err"
    fail "the one-case probe failed with status $st, not for want of a CUDA device"
fi
pass "probe: one f32 gemm on cuda"

# ---- gemm and membw, verified --------------------------------------------
suite=$SUITES/cuda.yaml
expected=$("$TCBENCH" run "$suite" --dry-run | grep -c '^case ')
run_status st "$TCBENCH" run "$suite" -o "$WORK/run" >"$WORK/out" 2>"$WORK/err" || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/err"; fail "exit status $st"; }
r=$WORK/run/results.jsonl
expect_eq "records" "$("$CHECK" lines "$r")" "$expected"
ok=$("$CHECK" count "$r" check.status '"ok"')
skipped=$("$CHECK" count "$r" check.status '"skipped"')
expect_eq "every case ok or skipped" "$((ok + skipped))" "$expected"
# fp8 skips on the odd shape everywhere, and on every shape before sm_89,
# saying so.
for ((i = 0; i < expected; i++)); do
    wl=$("$CHECK" field "$r" "$i" workload)
    st_i=$("$CHECK" field "$r" "$i" check.status)
    [ "$wl" == '"gemm"' ] || { [ "$st_i" == '"ok"' ] || fail "membw record $i: $st_i"; continue; }
    dtype=$("$CHECK" field "$r" "$i" params.dtype)
    m=$("$CHECK" field "$r" "$i" params.m)
    why=$("$CHECK" field "$r" "$i" check.detail)
    if [ "$dtype" == '"fp8"' ] && [ "$m" == 100 ]; then
        [ "$st_i" == '"skipped"' ] || fail "record $i: fp8 at m=100 should skip"
        echo "$why" | has 'multiples of 16' || fail "record $i: fp8 skipped for $why"
        continue
    fi
    if [ "$dtype" == '"fp8"' ] && [ "$st_i" == '"skipped"' ]; then
        echo "$why" | has 'compute capability' || fail "record $i: fp8 skipped for $why"
        continue
    fi
    [ "$st_i" == '"ok"' ] || fail "gemm record $i ($dtype, m=$m): $st_i"
    "$CHECK" field "$r" "$i" algorithm | has 'cuBLASLt' || fail "record $i: no algorithm"
done
pass "gemm: every dtype and storage verified exactly; fp8 skips where it must"
expect_eq "cuda runtime in run.json" \
    "$("$CHECK" json "$WORK/run/run.json" backends.cuda.cuda_runtime | grep -c '^"[0-9]')" 1

# ---- numerical agreement with the cpu backend ----------------------------
run_status st "$TCBENCH" run "$SUITES/cuda-agree.yaml" -o "$WORK/agree" \
    >"$WORK/agree.out" 2>"$WORK/agree.err" || true
[ "$st" -eq 0 ] || { tail -20 "$WORK/agree.err"; fail "agreement run: exit status $st"; }
a=$WORK/agree/results.jsonl
expect_eq "agreement: every case ok" "$("$CHECK" count "$a" check.status '"ok"')" 6
# Records 0-1: cpu; 2-3: cuda f32; 4-5: cuda bf16 (tiny-gpt, tiny-llama).
# f32 against f32: the same ops summed in other orders (~1e-6 relative per
# op); AdamW's first steps act like sign(g), so an element whose gradient is
# near zero may step the other way: 1e-3 over 20 steps leaves room for that
# and none for a wrong op, which moves the first loss by far more.
# bf16 operands round to 2^-8 relative; the loss moves by about that times
# its sensitivity to the products, O(1) on these models, and AdamW's
# normalized steps keep the runs from diverging in 20 steps: 2e-2 (5 units
# of bf16 rounding).
for m in 0 1; do
    "$CHECK" close <(sed -n "$((m + 1))p" "$a") <(sed -n "$((m + 3))p" "$a") 0 series.loss 1e-3 \
        >"$WORK/d" || fail "model $m: cuda f32 losses differ from cpu by $(cat "$WORK/d") (relative)"
    pass "model $m: cuda f32 follows cpu within $(cat "$WORK/d")"
    "$CHECK" close <(sed -n "$((m + 1))p" "$a") <(sed -n "$((m + 5))p" "$a") 0 series.loss 2e-2 \
        >"$WORK/d" || fail "model $m: cuda bf16 losses differ from cpu by $(cat "$WORK/d") (relative)"
    pass "model $m: cuda bf16 follows cpu within $(cat "$WORK/d")"
done
for i in 2 3 4 5; do
    "$CHECK" field "$a" $i metrics.peak_device_bytes | has '^[1-9]' \
        || fail "record $i: no peak device memory"
done
pass "peak device memory in every cuda record"
