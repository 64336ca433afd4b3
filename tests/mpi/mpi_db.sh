# `tcbench db` on real runs: import, the same run again is a no-op, list and
# show; 8 importers at once of 50 runs each lose nothing; a bad run, a
# foreign database and a file that is not SQLite are refused with one
# message and exit 2, and the database file is not modified.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 command-line tool is missing (apt-get install sqlite3)"
db=$WORK/history.db
q() { sqlite3 "$db" "$1"; }

run_status st "$MPIEXEC" -n 2 "$TCBENCH" run "$SUITES/cost-inputs.yaml" -o "$WORK/run" \
    >/dev/null 2>&1
expect_eq "input run exit status" "$st" 0
id=$(sed -n 's/.*"run_id": *"\([^"]*\)".*/\1/p' "$WORK/run/run.json" | head -1)
cases=$(wc -l <"$WORK/run/results.jsonl")

run_status st "$TCBENCH" db import "$WORK/run" --db "$db" --system nightly-box >"$WORK/out" 2>&1
[ "$st" -eq 0 ] || { cat "$WORK/out"; fail "import exit $st"; }
expect_eq "runs" "$(q 'SELECT count(*) FROM runs')" 1
expect_eq "cases" "$(q 'SELECT count(*) FROM cases')" "$cases"
expect_eq "system" "$(q 'SELECT system FROM runs')" nightly-box
samples=$(q 'SELECT count(*) FROM samples')
[ "$samples" -gt 0 ] || fail "no samples stored"
expect_eq "samples = the records' samples_s" "$samples" \
    "$(grep -o '"samples_s":\[[^]]*\]' "$WORK/run/results.jsonl" | tr ',' '\n' | wc -l)"
expect_eq "application_id" "$(q 'PRAGMA application_id')" $((0x7463626e))
expect_eq "journal mode" "$(q 'PRAGMA journal_mode')" wal

before=$(q 'SELECT group_concat(id) FROM cases')
run_status st "$TCBENCH" db import "$WORK/run" --db "$db" >"$WORK/out" 2>&1
expect_eq "second import exit" "$st" 0
grep -q 'already there, unchanged' "$WORK/out" || { cat "$WORK/out"; fail "second import said"; }
expect_eq "second import: the same rows" "$(q 'SELECT group_concat(id) FROM cases')" "$before"

run_status st "$TCBENCH" db list --db "$db" >"$WORK/out" 2>&1
expect_eq "list exit" "$st" 0
grep -qF "$id" "$WORK/out" || { cat "$WORK/out"; fail "list lacks the run"; }
run_status st "$TCBENCH" db show "$id" --db "$db" >"$WORK/out" 2>&1
expect_eq "show exit" "$st" 0
expect_eq "show: a line per case" "$(grep -c '^ *[0-9]* ok ' "$WORK/out")" "$cases"
run_status st "$TCBENCH" db show no-such-run --db "$db" >/dev/null 2>"$WORK/err"
expect_eq "show of a missing run exit" "$st" 2
grep -q "no run 'no-such-run'" "$WORK/err" || { cat "$WORK/err"; fail "missing run message"; }

# 8 importers at once, 50 runs each: copies of the real run under new ids.
for ((i = 0; i < 400; i++)); do
    d=$WORK/many/r$i
    mkdir -p "$d"
    sed "s/$id/night-$i/g" "$WORK/run/run.json" >"$d/run.json"
    sed "s/$id/night-$i/g" "$WORK/run/results.jsonl" >"$d/results.jsonl"
done
pids=()
for ((p = 0; p < 8; p++)); do
    dirs=()
    for ((i = p * 50; i < p * 50 + 50; i++)); do dirs+=("$WORK/many/r$i"); done
    timeout -k 5 300 "$TCBENCH" db import "${dirs[@]}" --db "$db" >"$WORK/imp$p" 2>&1 &
    pids+=($!)
done
for ((p = 0; p < 8; p++)); do
    wait "${pids[$p]}" || { cat "$WORK/imp$p"; fail "importer $p failed"; }
done
expect_eq "runs after 8 x 50 concurrent imports" "$(q 'SELECT count(*) FROM runs')" 401
expect_eq "cases" "$(q 'SELECT count(*) FROM cases')" $((401 * cases))
expect_eq "samples" "$(q 'SELECT count(*) FROM samples')" $((401 * samples))
expect_eq "integrity" "$(q 'PRAGMA integrity_check')" ok

# Bad input: one message naming the file, exit 2, the database untouched.
# The database's bytes and the size of its write-ahead log, if any.
sum() { echo "$(md5sum <"$db") wal $(stat -c %s "$db-wal" 2>/dev/null || echo none)"; }
q 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
mkdir "$WORK/bad"
cp "$WORK/run/run.json" "$WORK/bad/"
{ head -1 "$WORK/run/results.jsonl"; echo '{"broken'; } >"$WORK/bad/results.jsonl"
b=$(sum)
run_status st "$TCBENCH" db import "$WORK/bad" --db "$db" >/dev/null 2>"$WORK/err"
expect_eq "bad run exit" "$st" 2
grep -q "$WORK/bad/results.jsonl:2: not JSON" "$WORK/err" || { cat "$WORK/err"; fail "message"; }
expect_eq "database after a bad run" "$(sum)" "$b"
pass "bad run: $(head -1 "$WORK/err")"

echo "my notes" >"$WORK/notes.txt"
b=$(md5sum <"$WORK/notes.txt")
run_status st "$TCBENCH" db import "$WORK/run" --db "$WORK/notes.txt" >/dev/null 2>"$WORK/err"
expect_eq "not SQLite exit" "$st" 2
grep -q "notes.txt: .*not a database" "$WORK/err" || { cat "$WORK/err"; fail "message"; }
expect_eq "the file after" "$(md5sum <"$WORK/notes.txt")" "$b"
sqlite3 "$WORK/other.db" 'CREATE TABLE inventory (item TEXT)'
b=$(md5sum <"$WORK/other.db")
run_status st "$TCBENCH" db import "$WORK/run" --db "$WORK/other.db" >/dev/null 2>"$WORK/err"
expect_eq "foreign database exit" "$st" 2
grep -q "not a tcbench history database" "$WORK/err" || { cat "$WORK/err"; fail "message"; }
expect_eq "the foreign database after" "$(md5sum <"$WORK/other.db")" "$b"
pass "foreign and non-SQLite files refused, untouched"

# A damaged tcbench database: its header is fine, two pages are not.
run_status st "$TCBENCH" db import "$WORK/run" --db "$WORK/damaged.db" >/dev/null 2>&1
expect_eq "import into a new database" "$st" 0
sqlite3 "$WORK/damaged.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
head -c 8192 /dev/zero | tr '\0' x | dd of="$WORK/damaged.db" bs=4096 seek=2 conv=notrunc 2>/dev/null
b=$(md5sum <"$WORK/damaged.db")
mkdir "$WORK/next"
sed "s/$id/next-night/g" "$WORK/run/run.json" >"$WORK/next/run.json"
sed "s/$id/next-night/g" "$WORK/run/results.jsonl" >"$WORK/next/results.jsonl"
# SQLite finds damage in the pages a command reads; import and list read
# the runs table, which these pages hold.
for cmd in "db import $WORK/next" "db list"; do
    # shellcheck disable=SC2086 # the words of cmd are separate arguments
    run_status st "$TCBENCH" $cmd --db "$WORK/damaged.db" >/dev/null 2>"$WORK/err"
    expect_eq "$cmd on a damaged database: exit" "$st" 2
    grep -q "damaged.db: .*malformed" "$WORK/err" || { cat "$WORK/err"; fail "message of $cmd"; }
    expect_eq "$cmd: the damaged database after" "$(md5sum <"$WORK/damaged.db")" "$b"
done
pass "a damaged database: one message, exit 2, left as it was"

run_status st "$TCBENCH" db list --db "$WORK/none.db" >/dev/null 2>"$WORK/err"
expect_eq "list of a missing database exit" "$st" 2
[ ! -e "$WORK/none.db" ] || fail "list made a database"
run_status st "$TCBENCH" db import "$WORK/run" >/dev/null 2>"$WORK/err"
expect_eq "no --db exit" "$st" 2
grep -q -- "--db FILE is required" "$WORK/err" || { cat "$WORK/err"; fail "no --db message"; }
