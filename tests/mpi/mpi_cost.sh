# `tcbench cost` on a real run: the table on stdout, cost.json / cost.md /
# cost.csv written, a measured row whose MFU names its run, catalog rows with
# dollars, and bad inputs refused with one message and exit 2.
. "$(dirname "$0")/lib.sh"

run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/cost-inputs.yaml" -o "$WORK/run" >/dev/null 2>&1
expect_eq "input run exit status" "$st" 0

run_status st "$TCBENCH" cost "$WORK/run" -o "$WORK/cost" >"$WORK/out" 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "cost exit $st"; }
for f in cost.json cost.md cost.csv; do [ -s "$WORK/cost/$f" ] || fail "no $f"; done
pass "cost.json, cost.md, cost.csv written"
expect_eq "schema" "$("$CHECK" json "$WORK/cost/cost.json" schema)" '"tcbench.cost/1"'
grep -q '^ H100 SXM  *N  ' "$WORK/out" || { cat "$WORK/out"; fail "no H100 row for N"; }
pass "the table has an H100 row"

# The measured device is the first row; its MFU names the run it came from.
src=$("$CHECK" json "$WORK/cost/cost.json" cells.0.inputs.mfu_device.source)
case "$src" in '"measured: run cost-inputs-'*) pass "measured MFU: $src" ;;
    *) fail "first cell's MFU source: $src" ;; esac
# A catalog row: assumed MFU, dollars from the catalog's prices.
n=$("$CHECK" json "$WORK/cost/cost.json" cells | tr '{' '\n' | grep -c '"hardware"')
found=0
for ((i = 0; i < n; i++)); do
    [ "$("$CHECK" json "$WORK/cost/cost.json" cells.$i.hardware)" == '"H100 SXM"' ] || continue
    [ "$("$CHECK" json "$WORK/cost/cost.json" cells.$i.generation)" == '"N"' ] || continue
    found=1
    usd=$("$CHECK" json "$WORK/cost/cost.json" cells.$i.results.usd_ondemand.mid)
    awk -v u="$usd" 'BEGIN { exit !(u > 1e6) }' || fail "H100 N on-demand dollars: $usd"
    case "$("$CHECK" json "$WORK/cost/cost.json" cells.$i.inputs.mfu_device.source)" in
        '"assumed:'*) pass "H100 N: assumed MFU, \$$usd on demand" ;;
        *) fail "H100 MFU not flagged assumed" ;; esac
done
[ "$found" -eq 1 ] || fail "no H100 N cell in cost.json"
expect_eq "cost.csv rows" "$(($(wc -l <"$WORK/cost/cost.csv") - 1))" "$n"

# What was assumed or missing is said after the table, with the rows it
# applies to, and kept in cost.md and cost.json.
grep -q '^#   MFU assumed (marked a) as the scenario.s assumed_mfu, [0-9.]* per device, .*H100 SXM' \
    "$WORK/out" || { cat "$WORK/out"; fail "no note on the assumed MFU"; }
grep -q '^#   power assumed as catalog TDP x .*H100 SXM' "$WORK/out" || fail "no note on power"
grep -q '^- no on-demand price in the catalog, so no on-demand dollars: .*B200' \
    "$WORK/cost/cost.md" || fail "cost.md lacks the price note"
expect_eq "notes in cost.json" \
    "$("$CHECK" json "$WORK/cost/cost.json" notes | grep -o '"note"' | wc -l)" \
    "$(grep -c '^#   ' "$WORK/out")"
pass "assumed and missing figures noted"

# A device the catalog does not know, in a run with no collectives: the note
# names what is missing, and its cells say why they are not projected.
mkdir "$WORK/bare"
grep -v '"workload":"collective"' "$WORK/run/results.jsonl" |
    sed 's/"device":"[^"]*"/"device":"Imaginary CPU 9000 (1 thread)"/' >"$WORK/bare/results.jsonl"
run_status st "$TCBENCH" cost "$WORK/bare" >"$WORK/out" 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "cost of the bare run exit $st"; }
grep -q '^#   not in the hardware catalog (.*hardware.yaml), so no prices, TDP or bandwidths: Imaginary CPU 9000 (1 thread)$' \
    "$WORK/out" || { cat "$WORK/out"; fail "no note on the unknown device"; }
grep -q '^#   no collective fit from these runs' "$WORK/out" || fail "no note on the missing fits"
grep -q '^ Imaginary CPU 9000 (1 thread) *N  *not projected: no figure for the tensor-parallel all-reduce' \
    "$WORK/out" || fail "the unknown device's cell does not say why"
pass "unknown device, no collectives: both named"

# --factor 4: each older generation has a quarter of the compute, said so.
run_status st "$TCBENCH" cost "$WORK/run" --factor 4 -o "$WORK/f4" >/dev/null 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "--factor 4 exit $st"; }
j=$WORK/f4/cost.json
expect_eq "factor" "$("$CHECK" json "$j" generation_factor.value)" 4.0
case "$("$CHECK" json "$j" generation_factor.source)" in
    '"assumed: 4 x compute per generation, given for this run'*) ;;
    *) fail "factor source: $("$CHECK" json "$j" generation_factor.source)" ;; esac
n0=$("$CHECK" json "$j" cells.0.inputs.compute_flops.value)
n1=$("$CHECK" json "$j" cells.1.inputs.compute_flops.value)
awk -v a="$n0" -v b="$n1" 'BEGIN { r = b / (a / 4); exit !(r > 0.999999 && r < 1.000001) }' \
    || fail "N-1 $n1 is not N $n0 / 4"
pass "--factor 4: N-1 = N / 4, flagged as given for this run"
run_status st "$TCBENCH" cost "$WORK/run" --factor 1 -o "$WORK/f1" >/dev/null 2>"$WORK/err"
expect_eq "--factor 1 exit" "$st" 2
grep -q "factor must be a number > 1" "$WORK/err" || { cat "$WORK/err"; fail "--factor 1 message"; }
[ ! -e "$WORK/f1" ] || fail "a bad factor still wrote output"

# Context parallel: allowed, and said not to be modelled.
sed 's/^  cp: 1$/  cp: 2/; s/^  dp: 128$/  dp: 64/' "$TESTS/../reports/scenario.yaml" >"$WORK/cp2.yaml"
run_status st "$TCBENCH" cost "$WORK/run" --scenario "$WORK/cp2.yaml" -o "$WORK/cp2" \
    >"$WORK/out" 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "cp 2 exit $st"; }
grep -q '^#   context parallel (cp = 2) splits each sequence, but its own communication' \
    "$WORK/out" || { cat "$WORK/out"; fail "no note on context parallel"; }
pass "cp 2: its communication said not to be modelled"

# Bad inputs: one message, exit 2, nothing written.
run_status st "$TCBENCH" cost "$WORK/nothing-here" -o "$WORK/c2" >/dev/null 2>"$WORK/err"
expect_eq "missing run exit" "$st" 2
grep -q "nothing-here: cannot read results.jsonl" "$WORK/err" || { cat "$WORK/err"; fail "message"; }
[ ! -e "$WORK/c2" ] || fail "a missing run still wrote output"
printf 'factor: 1\ngenerations:\n  - {name: N, shape_model: tiny-gpt}\n' >"$WORK/ladder.yaml"
run_status st "$TCBENCH" cost "$WORK/run" --ladder "$WORK/ladder.yaml" -o "$WORK/c3" \
    >/dev/null 2>"$WORK/err"
expect_eq "bad ladder exit" "$st" 2
grep -q "$WORK/ladder.yaml:1:" "$WORK/err" || { cat "$WORK/err"; fail "no file:line for the ladder"; }
pass "bad ladder: $(head -1 "$WORK/err")"
run_status st "$TCBENCH" cost "$WORK/run" --colour red >/dev/null 2>"$WORK/err"
expect_eq "unknown option exit" "$st" 2
