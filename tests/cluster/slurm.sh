# Slurm on the test cluster: munged, slurmctld on the controller and one
# slurmd per host, from a generated configuration under the cluster's
# directory (Debian's slurm-wlm and munge). Sourced by tests/cluster/cluster
# (--slurm), which calls tcb_slurm_start once the network is up and
# tcb_slurm_stop when it tears down; uses its dir, host_names, addr_of,
# ctl_addr, slots, here and die.

tcb_slurm_start() {
    local tool
    for tool in munged slurmctld slurmd sbatch sinfo; do
        command -v $tool >/dev/null || skip "$tool is not installed (Debian: slurm-wlm munge)"
    done
    local s=$dir/slurm
    mkdir -p "$s/state" "$s/spool" "$dir/munge"
    chmod 700 "$dir/munge"

    # munge: a key of this cluster's own, its socket in the cluster's
    # directory, so no system munged is needed or disturbed.
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/seed" ||
        die "munged did not start: $(tail -3 "$dir/log/munged.log" 2>/dev/null)"

    # Every host is this machine: slurmd's own count of its CPUs is the
    # machine's, and config_overrides lets the configuration's slots win.
    local nodes="" h
    {
        echo "ClusterName=tcb"
        echo "SlurmctldHost=ctl($ctl_addr)"
        echo "AuthType=auth/munge"
        echo "CredType=cred/munge"
        echo "AuthInfo=socket=$dir/munge/socket"
        echo "SlurmUser=root"
        echo "SlurmdUser=root"
        echo "StateSaveLocation=$s/state"
        echo "SlurmdSpoolDir=$s/spool/%n"
        echo "SlurmctldPidFile=$s/slurmctld.pid"
        echo "SlurmdPidFile=$s/slurmd-%n.pid"
        echo "SlurmctldLogFile=$dir/log/slurmctld.log"
        echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
        echo "SlurmdParameters=config_overrides"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "SchedulerType=sched/builtin"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_CPU"
        echo "MpiDefault=none"
        echo "ReturnToService=2"
        echo "SlurmctldTimeout=30"
        echo "SlurmdTimeout=30"
        echo "InactiveLimit=0"
        echo "KillWait=5"
        for h in "${host_names[@]}"; do
            echo "NodeName=$h NodeAddr=$(addr_of "$h") CPUs=$slots State=UNKNOWN"
            nodes+=${nodes:+,}$h
        done
        echo "PartitionName=tcb Nodes=$nodes Default=YES MaxTime=INFINITE State=UP"
    } >"$s/slurm.conf"
    export SLURM_CONF=$s/slurm.conf

    "$here/on" ctl slurmctld -i -f "$SLURM_CONF" ||
        die "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log" 2>/dev/null)"
    for h in "${host_names[@]}"; do
        mkdir -p "$s/spool/$h"
        "$here/on" "$h" slurmd -f "$SLURM_CONF" -N "$h" ||
            die "slurmd on $h did not start: $(tail -5 "$dir/log/slurmd-$h.log" 2>/dev/null)"
    done

    # Up when every node is idle.
    local deadline=$((SECONDS + 60)) idle
    while :; do
        idle=$("$here/on" ctl sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
        [ "$idle" -ge "${#host_names[@]}" ] && break
        [ "$SECONDS" -lt "$deadline" ] ||
            die "Slurm's nodes are not idle after 60 s: $("$here/on" ctl sinfo -N 2>&1 | tr '\n' ' ')" \
                "$(tail -3 "$dir/log/slurmctld.log" 2>/dev/null)"
        sleep 0.5
    done
}

# The daemons live in the cluster's namespaces, so the teardown's kill of
# everything there ends them; munged is the one outside.
tcb_slurm_stop() {
    local pid
    pid=$(cat "$dir/munge/munged.pid" 2>/dev/null) && kill "$pid" 2>/dev/null || true
}
