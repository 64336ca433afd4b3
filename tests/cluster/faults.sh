# The faults nightly runs meet (issue 8, item 4), on a fresh 2-host cluster
# each time, every one repeated (TCB_FAULT_REPEAT, default 5) and counted:
#   kill  a rank SIGKILLed mid-suite: non-zero exit, records whole, run.json
#         unfinished and why;
#   stop  a rank SIGSTOPped (a hang): the watchdog ends the job within
#         timeout + 10 s with a timeout record naming the case;
#   link  a host's link pulled mid-collective: the job ends within the
#         case's timeout + 10 s, with the timeout record, nothing lost;
#   set   one rank with another --set: every rank exits 2 before measuring.
#   bash faults.sh TCBENCH CHECK_RUN MPIEXEC TESTS_SOURCE_DIR
. "$(dirname "$0")/lib.sh"

repeat=${TCB_FAULT_REPEAT:-5}
faults=${TCB_FAULTS:-kill stop link set}
failed=0
for fault in $faults; do
    held=0
    for ((i = 1; i <= repeat; i++)); do
        st=0
        in_cluster -- bash "$TESTS/cluster/fault.sh" "$fault" "$WORK/$fault.$i" "$TCBENCH" \
            "$CHECK" >"$WORK/$fault.$i.log" 2>&1 || st=$?
        if [ "$st" -eq 0 ]; then
            held=$((held + 1))
            echo "  $fault #$i: $(tail -1 "$WORK/$fault.$i.log")"
        else
            echo "  $fault #$i did not hold (status $st):"
            tail -25 "$WORK/$fault.$i.log" "$WORK/$fault.$i/out" 2>/dev/null | sed 's/^/    /'
        fi
    done
    echo "fault $fault: held $held of $repeat"
    [ "$held" -eq "$repeat" ] || failed=1
done
[ "$failed" -eq 0 ] || fail "a fault did not hold every time"
pass "every fault held every time"
