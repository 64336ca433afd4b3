# `tcbench report` on a real run: report.md, report.html and the CSV tables
# written; the page is one file with no script and no URL, a chart in every
# section the run has (collectives, gemm, transformer, cost), the cost chart
# has a line for the H100, the suite's name (it holds < & > ") comes out
# escaped; bad inputs are one message and exit 2, with nothing written.
. "$(dirname "$0")/lib.sh"

run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/report-inputs.yaml" -o "$WORK/run" \
    >"$WORK/out" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/out"; fail "input run exit $st"; }
pass "input run exit status 0"
run_status st "$TCBENCH" cost "$WORK/run" >/dev/null 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "cost exit $st"; }
[ -s "$WORK/run/cost.json" ] || fail "no cost.json in the run directory"

run_status st "$TCBENCH" report "$WORK/run" -o "$WORK/rep" >"$WORK/out" 2>"$WORK/err"
[ "$st" -eq 0 ] || { cat "$WORK/err"; fail "report exit $st"; }
html=$WORK/rep/report.html
for f in report.md report.html report_collectives.csv report_gemm.csv report_transformer.csv \
    report_cost.csv; do
    [ -s "$WORK/rep/$f" ] || fail "no $f"
done
pass "report.md, report.html and four CSV tables written"
grep -qx "# report: $WORK/rep/report.html (report.md and 4 CSV table(s) beside it)" "$WORK/out" \
    || { cat "$WORK/out"; fail "the report's path is not printed"; }
! grep -qi '<script' "$html" || fail "report.html has a <script>"
! grep -qi 'http' "$html" || fail "report.html names a URL"
! grep -qi '<link\|<img\|<iframe\|src=' "$html" || fail "report.html refers to another file"
pass "one self-contained page: no script, no URL"

# section NAME: the HTML from <h2>NAME</h2> to the next <h2>.
section() { awk -v h="<h2>$1</h2>" '$0 == h { on = 1; next } /^<h2>/ { on = 0 } on' "$html"; }
for s in Collectives GEMM Transformer "Cost per generation"; do
    n=$(section "$s" | grep -c '<svg' || true)
    [ "$n" -ge 1 ] || fail "section $s has no chart"
    pass "section $s: $n chart(s)"
done
section "Energy" | has 'no energy measured' || fail "the energy section does not say none"
pass "energy: no energy measured"

# One line per allreduce size (1KiB, 8KiB, 64KiB, 512KiB), one series.
expect_eq "collective chart points" \
    "$(section Collectives | grep '<polyline' | sed 's/.*points="\([^"]*\)".*/\1/' | wc -w)" 4
expect_eq "collectives.csv rows" "$(($(wc -l <"$WORK/rep/report_collectives.csv") - 1))" 4
grep -q '^128x256x64,1,' "$WORK/rep/report_gemm.csv" || fail "gemm.csv: $(cat "$WORK/rep/report_gemm.csv")"
pass "gemm shape 128x256x64 in the table"
grep -q '^tiny-gpt #5,tiny-gpt,all,1,2,16,' "$WORK/rep/report_transformer.csv" \
    || fail "transformer.csv: $(cat "$WORK/rep/report_transformer.csv")"
pass "tiny-gpt case in the transformer table"
section "Cost per generation" | has '<text[^>]*>H100 SXM</text>' || fail "no H100 SXM series"
section "Cost per generation" | has '<polygon class="band"' || fail "no shaded band"
pass "cost chart: H100 SXM line with a band"
section "Cost per generation" | has '<li>MFU assumed (marked a) .*H100 SXM' \
    || fail "the cost section does not list what was assumed"
pass "cost section lists what was assumed"
grep -q '^GB200 (per GPU),N,no price,,,,[0-9]' "$WORK/rep/report_cost.csv" \
    || fail "a hardware without prices is not 'no price': $(grep GB200 "$WORK/rep/report_cost.csv")"
! grep -q ',0,0,0,' "$WORK/rep/report_cost.csv" || fail "zero dollars shown as a figure"
pass "no price: no dollars shown"

grep -q 'report&lt;&amp;&gt;&quot;inputs' "$html" || fail "the suite's name is not escaped"
! grep -q 'report<&>' "$html" || fail "the suite's name appears raw"
pass "suite name escaped in report.html"
grep -q '^# tcbench report: report<&>"inputs' "$WORK/rep/report.md" || fail "report.md title"

# No -o: into the first run directory.
run_status st "$TCBENCH" report "$WORK/run" >/dev/null 2>&1
expect_eq "report into the run dir" "$st" 0
[ -s "$WORK/run/report.html" ] || fail "no report.html in the run directory"

# Bad inputs: one message, exit 2, nothing written.
run_status st "$TCBENCH" report "$WORK/nothing-here" -o "$WORK/r2" >/dev/null 2>"$WORK/err"
expect_eq "missing run exit" "$st" 2
grep -q "nothing-here: cannot read results.jsonl" "$WORK/err" || { cat "$WORK/err"; fail "message"; }
[ ! -e "$WORK/r2" ] || fail "a missing run still wrote output"
mkdir "$WORK/bad"
head -2 "$WORK/run/results.jsonl" >"$WORK/bad/results.jsonl"
echo '{"schema": broken' >>"$WORK/bad/results.jsonl"
run_status st "$TCBENCH" report "$WORK/bad" >/dev/null 2>"$WORK/err"
expect_eq "line not JSON exit" "$st" 2
grep -q "$WORK/bad/results.jsonl:3:" "$WORK/err" || { cat "$WORK/err"; fail "no file:line"; }
[ ! -e "$WORK/bad/report.html" ] || fail "a bad line still wrote a report"
pass "bad line: $(head -1 "$WORK/err")"
run_status st "$TCBENCH" report "$WORK/run" --colour red >/dev/null 2>&1
expect_eq "unknown option exit" "$st" 2
