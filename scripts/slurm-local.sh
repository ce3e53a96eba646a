#!/usr/bin/env bash
# slurm-local.sh start|stop|status
#
# Brings up (or down) a real single-node Slurm cluster plus munge on this
# machine, for trying the scripts in scripts/slurm/ without a cluster.
# Debian/Ubuntu only; must run as root.
#
#   start   install slurmd slurmctld slurm-client munge if missing, start munged
#           (unless a working one is already running), write
#           /etc/slurm/slurm.conf, start slurmctld and slurmd, and wait until
#           the node is idle. Idempotent: a running cluster is left as it is.
#           A fresh start begins with an empty queue.
#   stop    stop slurmd, slurmctld and (if this script started it) munged, by
#           the PIDs in their pid files. Idempotent.
#   status  show what is running, sinfo and squeue.
#
# Environment:
#   TRIALSIM_SLURM_DIR    state folder (default /tmp/trialsim-slurm): state,
#                         spool, logs, pid files. It is recorded in
#                         /etc/slurm/slurm.conf, which stop/status read.
#   TRIALSIM_SLURM_FORCE  set to 1 to replace an /etc/slurm/slurm.conf that this
#                         script did not write (the old one is kept as .bak.*).
#   TRIALSIM_SLURM_WAIT   seconds to wait for the node to become idle (default 30).
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARKER="# Written by trialsim scripts/slurm-local.sh"
MUNGE_PID=/run/munge/munged.pid
WAIT=${TRIALSIM_SLURM_WAIT:-30}

die() { echo "slurm-local: error: $*" >&2; exit 1; }
say() { echo "slurm-local: $*"; }

need_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (it installs packages and starts daemons); try: sudo $0 $*"
}

# State folder: the one recorded in our slurm.conf if there is one, else the
# environment's or the default.
state_dir() {
    if [[ -z ${TRIALSIM_SLURM_DIR:-} ]] && is_our_conf; then
        sed -n 's/^# trialsim-state-dir=//p' "$CONF"
    else
        echo "${TRIALSIM_SLURM_DIR:-/tmp/trialsim-slurm}"
    fi
}

is_our_conf() { [[ -f $CONF ]] && grep -qxF "$MARKER" "$CONF"; }

# pid_alive PIDFILE NAME: the pid in PIDFILE is a live process called NAME.
pid_alive() {
    local pidfile=$1 name=$2 pid comm
    [[ -s $pidfile ]] || return 1
    pid=$(tr -dc '0-9' < "$pidfile")
    [[ -n $pid ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    [[ $comm == "$name" ]]
}

# stop_pidfile PIDFILE NAME: TERM the process, wait up to 15 s, then KILL.
stop_pidfile() {
    local pidfile=$1 name=$2 pid i
    if ! pid_alive "$pidfile" "$name"; then
        say "$name not running"
        rm -f "$pidfile"
        return 0
    fi
    pid=$(tr -dc '0-9' < "$pidfile")
    kill -TERM "$pid"
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) did not stop on TERM; sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    say "stopped $name (pid $pid)"
}

munge_ok() { munge -n 2>/dev/null | unmunge 2>/dev/null | grep -q 'STATUS: *Success (0)'; }

install_if_missing() {
    local missing=0 c
    for c in slurmctld slurmd sbatch sinfo munged munge unmunge; do
        command -v "$c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$c" >/dev/null 2>&1 || missing=1
    done
    ((missing)) || return 0
    command -v apt-get >/dev/null 2>&1 || die "Slurm is not installed and apt-get is not available; install slurmd slurmctld slurm-client munge by hand"
    say "installing slurmd slurmctld slurm-client munge (apt-get)"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmd slurmctld slurm-client munge >/dev/null \
        || die "apt-get install slurmd slurmctld slurm-client munge failed"
}

start_munge() {
    local dir="$1" i
    if munge_ok; then
        say "munge already works; using the running munged"
        return 0
    fi
    id munge >/dev/null 2>&1 || die "no 'munge' user (is the munge package installed?)"
    install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge /var/lib/munge
    install -d -o munge -g munge -m 0755 /run/munge
    local key=/etc/munge/munge.key
    if [[ ! -s $key ]] || (($(stat -c %s "$key") < 32)); then
        say "creating $key (1024 random bytes)"
        head -c 1024 /dev/urandom > "$key"
    fi
    chown munge:munge "$key"
    chmod 0400 "$key"
    if pid_alive "$MUNGE_PID" munged; then
        die "munged is running (pid $(cat "$MUNGE_PID")) but 'munge -n | unmunge' fails; see /var/log/munge/munged.log"
    fi
    su -s /bin/sh munge -c /usr/sbin/munged || die "munged failed to start; see /var/log/munge/munged.log"
    for ((i = 0; i < 20; i++)); do
        munge_ok && break
        sleep 0.5
    done
    munge_ok || die "munged started but 'munge -n | unmunge' does not report Success; see /var/log/munge/munged.log"
    touch "$dir/munged.ours"
    say "started munged (pid $(cat "$MUNGE_PID"))"
}

write_conf() {
    local dir=$1 out=$2 host cpus ctlhost nodeaddr=""
    host=$(hostname -s)
    cpus=$(nproc)
    ctlhost=$host
    # If the short host name does not resolve, talk over loopback.
    if ! getent hosts "$host" >/dev/null 2>&1; then
        ctlhost="$host(127.0.0.1)"
        nodeaddr=" NodeAddr=127.0.0.1"
    fi
    cat > "$out" <<CONF
$MARKER
# trialsim-state-dir=$dir
# Single-node test cluster: no cgroups, no accounting.
ClusterName=local
SlurmctldHost=$ctlhost
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
NodeName=$host$nodeaddr CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

node_state() { sinfo -h -N -n "$(hostname -s)" -o %T 2>/dev/null | head -n1; }

cmd_start() {
    need_root start
    install_if_missing
    local dir host i st
    dir=$(state_dir)
    [[ $dir == /* ]] || die "TRIALSIM_SLURM_DIR must be an absolute path (got '$dir')"
    host=$(hostname -s)
    mkdir -p "$dir"/{state,spool,log,run}

    local ctld_pid=$dir/run/slurmctld.pid slurmd_pid=$dir/run/slurmd.pid
    local new
    new=$(mktemp)
    # shellcheck disable=SC2064
    trap "rm -f '$new'" EXIT
    write_conf "$dir" "$new"

    if pid_alive "$ctld_pid" slurmctld && pid_alive "$slurmd_pid" slurmd && cmp -s "$new" "$CONF"; then
        say "already running (state in $dir)"
    else
        if pid_alive "$ctld_pid" slurmctld || pid_alive "$slurmd_pid" slurmd; then
            die "Slurm daemons from $dir are running with another configuration; run '$0 stop' first"
        fi
        if [[ -f $CONF ]] && ! is_our_conf; then
            if [[ ${TRIALSIM_SLURM_FORCE:-0} == 1 ]]; then
                local bak
                bak="$CONF.bak.$(date +%Y%m%d%H%M%S)"
                cp -p "$CONF" "$bak"
                say "kept the existing $CONF as $bak"
            else
                die "$CONF exists and was not written by this script; set TRIALSIM_SLURM_FORCE=1 to replace it (a backup is kept)"
            fi
        fi
        start_munge "$dir"
        mkdir -p /etc/slurm
        cp "$new" "$CONF"
        chmod 0644 "$CONF"
        # Fresh queue every start.
        rm -rf "${dir:?}/state" "${dir:?}/spool"
        mkdir -p "$dir"/{state,spool}
        say "wrote $CONF (state in $dir)"

        /usr/sbin/slurmctld || die "slurmctld failed to start; see $dir/log/slurmctld.log"
        for ((i = 0; i < 2 * WAIT; i++)); do
            scontrol ping 2>/dev/null | grep -q 'is UP' && break
            sleep 0.5
        done
        scontrol ping 2>/dev/null | grep -q 'is UP' \
            || die "slurmctld does not answer 'scontrol ping'; see $dir/log/slurmctld.log"
        say "started slurmctld (pid $(cat "$ctld_pid"))"

        /usr/sbin/slurmd || die "slurmd failed to start; see $dir/log/slurmd.log"
        sleep 0.5
        pid_alive "$slurmd_pid" slurmd || die "slurmd exited right after starting; see $dir/log/slurmd.log"
        say "started slurmd (pid $(cat "$slurmd_pid"))"
    fi

    for ((i = 0; i < 2 * WAIT; i++)); do
        st=$(node_state)
        case $st in
            idle* | mixed* | allocated*) break ;;
            down* | drain* | fail*)
                scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    st=$(node_state)
    case $st in
        idle* | mixed* | allocated*) say "node $host is $st; ready" ;;
        *) die "node $host is '${st:-unknown}' after ${WAIT}s; see $dir/log/slurmd.log and $dir/log/slurmctld.log" ;;
    esac
}

cmd_stop() {
    need_root stop
    local dir
    dir=$(state_dir)
    stop_pidfile "$dir/run/slurmd.pid" slurmd
    stop_pidfile "$dir/run/slurmctld.pid" slurmctld
    if [[ -f $dir/munged.ours ]]; then
        stop_pidfile "$MUNGE_PID" munged
        rm -f "$dir/munged.ours"
    else
        say "munged left alone (not started by this script)"
    fi
    say "stopped; logs kept in $dir/log"
}

cmd_status() {
    local dir rc=0
    dir=$(state_dir)
    echo "state folder: $dir"
    if is_our_conf; then echo "config:       $CONF (ours)"; elif [[ -f $CONF ]]; then echo "config:       $CONF (not ours)"; else echo "config:       none"; fi
    if munge_ok; then echo "munge:        ok"; else echo "munge:        not working"; rc=1; fi
    if pid_alive "$dir/run/slurmctld.pid" slurmctld; then echo "slurmctld:    running (pid $(cat "$dir/run/slurmctld.pid"))"; else echo "slurmctld:    not running"; rc=1; fi
    if pid_alive "$dir/run/slurmd.pid" slurmd; then echo "slurmd:       running (pid $(cat "$dir/run/slurmd.pid"))"; else echo "slurmd:       not running"; rc=1; fi
    if ((rc == 0)); then
        sinfo || true
        squeue || true
    fi
    return "$rc"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
