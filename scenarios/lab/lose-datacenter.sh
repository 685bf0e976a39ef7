#!/usr/bin/env bash
# Lab 1, "lose a datacenter": two sites in network namespaces on this machine, a PostgreSQL
# primary in site A streaming to a replica in site B, and a service address (10.213.0.10) that
# clients in the root namespace use. The drill scenarios/lab/lose-datacenter.yaml drives it.
#
#   lose-datacenter.sh check                 what is missing to run the lab (exit 1 if anything)
#   lose-datacenter.sh up        [DIR]       build the lab (tears down leftovers first)
#   lose-datacenter.sh down      [DIR]       remove everything: servers, namespaces, route, DIR
#   lose-datacenter.sh cut-replication [DIR] the inter-site link down: replication stops, clients still reach A
#   lose-datacenter.sh cut       [DIR]       isolate site A (its uplink and the inter-site link down)
#   lose-datacenter.sh reconnect [DIR]       rollback of cut: links up, service address to the primary
#   lose-datacenter.sh restart-a [DIR]       rollback of the kill: start A again unless B was promoted
#   lose-datacenter.sh position  [DIR [T]]   site B's WAL position and canary, as key=value lines
#                                            (T: Unix seconds of the disaster, for the replay gap)
#   lose-datacenter.sh promote   [DIR]       promote site B and wait until it takes writes
#   lose-datacenter.sh repoint   [DIR]       move the service address to site B
#   lose-datacenter.sh status    [DIR]       one line per site: running, role, links
#   lose-datacenter.sh inspect-a [DIR]       after a drill: start site A isolated, to see the writes B lost
#   lose-datacenter.sh psql a|b|service [DIR] [PSQL ARGS...]
#
# Every subcommand is idempotent. Root only; traffic stays on 10.213.0.0/16 inside the
# namespaces this script creates. Default DIR: /var/tmp/firedrill-lab/lose-datacenter.
set -euo pipefail

# shellcheck source=lab-common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lab-common.sh"

DEFAULT_DIR=/var/tmp/firedrill-lab/lose-datacenter
# Debian's PostgreSQL, whichever major version is installed (the newest if several).
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=5432
NS_A=fd-dc-a
NS_B=fd-dc-b
ROOT_A=fd-root-a     # root side of site A's uplink; the site side is A_UP in NS_A
ROOT_B=fd-root-b
A_UP=fd-a-up
B_UP=fd-b-up
A_B=fd-a-b           # inter-site link, site A's end (in NS_A) ...
B_A=fd-b-a           # ... and site B's end (in NS_B)
ROOT_A_IP=10.213.1.1 A_UP_IP=10.213.1.2
ROOT_B_IP=10.213.2.1 B_UP_IP=10.213.2.2
A_B_IP=10.213.3.1    B_A_IP=10.213.3.2
SERVICE_IP=10.213.0.10
LAB_NET=10.213.0.0/16
MARKER=.firedrill-lab

say() { printf '%s\n' "$*"; }
die() { printf 'lose-datacenter: %s\n' "$*" >&2; exit 1; }

abs_dir() {
    local d=${1:-$DEFAULT_DIR}
    [ -n "$d" ] || die "empty lab directory"
    d=$(realpath -m -- "$d")
    case $d in
        /|/bin|/boot|/dev|/etc|/home|/lib|/lib64|/opt|/proc|/root|/run|/sbin|/srv|/sys|/tmp|/usr|/var|/var/tmp)
            die "refusing to use $d as the lab directory" ;;
    esac
    printf '%s' "$d"
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
as_pg() { runuser -u postgres -- "$@"; }

# psql to a site through its unix socket (works whatever the network looks like), or to the
# service address through the network from the root namespace.
site_psql() {
    local site=$1; shift
    case $site in
        a|b) psql -X "host=$DIR/$site-sock port=$PGPORT user=postgres dbname=drill connect_timeout=2" "$@" ;;
        service) psql -X "host=$SERVICE_IP port=$PGPORT user=postgres dbname=drill connect_timeout=2" "$@" ;;
        *) die "unknown site '$site' (a, b or service)" ;;
    esac
}

# The postmaster's pid (first line of postmaster.pid), if any.
postmaster_pid() { [ -f "$DIR/$1/postmaster.pid" ] && head -n 1 "$DIR/$1/postmaster.pid" 2>/dev/null | grep -E '^[0-9]+$'; }


running() {
    local pid
    pid=$(postmaster_pid "$1") || return 1
    pid_alive "$pid"
}

# Site B has been promoted once its standby.signal is gone (pg_ctl promote removes it);
# this works whether or not B is running.
b_promoted() { [ -f "$DIR/b/PG_VERSION" ] && [ ! -f "$DIR/b/standby.signal" ]; }

# ---------------------------------------------------------------------------------------------

cmd_check() {
    local missing=()
    [ "$(id -u)" = 0 ] || missing+=("not root (the lab needs root for network namespaces)")
    command -v ip >/dev/null 2>&1 || missing+=("no 'ip' command (iproute2)")
    local b
    for b in initdb pg_ctl postgres pg_basebackup; do
        [ -x "$PGBIN/$b" ] || missing+=("no PostgreSQL binary $PGBIN/$b (set PGBIN)")
    done
    command -v psql >/dev/null 2>&1 || missing+=("no psql")
    id -u postgres >/dev/null 2>&1 || missing+=("no 'postgres' user")
    command -v runuser >/dev/null 2>&1 || missing+=("no runuser (util-linux)")
    if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
        local probe=fd-check-$$
        if ip netns add "$probe" >/dev/null 2>&1; then
            ip netns del "$probe" >/dev/null 2>&1 || true
        else
            missing+=("'ip netns add' is not permitted here")
        fi
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        printf '%s\n' "${missing[@]}"
        return 1
    fi
}

cmd_down() {
    local s
    for s in a b; do
        if [ -f "$DIR/$s/PG_VERSION" ]; then
            as_pg "$PGBIN/pg_ctl" -D "$DIR/$s" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
        fi
    done
    # Anything left (a postmaster whose pid file is gone, orphaned backends): every PostgreSQL
    # process has its data directory as working directory.
    local pids=() p cwd
    for p in /proc/[0-9]*; do
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        case $cwd in "$DIR/a"|"$DIR/b") pids+=("${p#/proc/}") ;; esac
    done
    if [ ${#pids[@]} -gt 0 ]; then
        kill -KILL "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 50); do
            local alive=0
            for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
            [ $alive = 0 ] && break
            sleep 0.1
        done
    fi
    local ns
    for ns in "$NS_A" "$NS_B"; do
        if ns_exists "$ns"; then ip netns del "$ns"; fi
    done
    local l
    for l in "$ROOT_A" "$ROOT_B"; do
        if ip link show "$l" >/dev/null 2>&1; then ip link del "$l" 2>/dev/null || true; fi
    done
    if ip route show "$SERVICE_IP/32" 2>/dev/null | grep -q .; then ip route del "$SERVICE_IP/32" || true; fi
    if [ -d "$DIR" ]; then
        if [ -f "$DIR/$MARKER" ]; then
            rm -rf -- "$DIR"
        elif [ -z "$(ls -A -- "$DIR")" ]; then
            rmdir -- "$DIR"
        else
            die "$DIR is not a lab directory (no $MARKER): not deleting it"
        fi
    fi
    # The default parent, made by `up`, goes too once it is empty.
    local parent
    parent=$(dirname -- "$DIR")
    if [ "$(basename -- "$parent")" = firedrill-lab ] && [ -d "$parent" ] && [ -z "$(ls -A -- "$parent")" ]; then
        rmdir -- "$parent" 2>/dev/null || true
    fi
    say "lab down: $DIR removed, namespaces $NS_A $NS_B gone, route $SERVICE_IP removed"
}

wait_streaming() {
    local i
    for i in $(seq 300); do
        if [ "$(site_psql a -qtAc "select count(*) from pg_stat_replication where state = 'streaming' and client_addr = '$B_A_IP'" 2>/dev/null)" = 1 ]; then
            return 0
        fi
        sleep 0.1
    done
    die "site B is not streaming from site A after 30s (see $DIR/a.log, $DIR/b.log)"
}

cmd_up() {
    local started=$SECONDS missing
    if ! missing=$(cmd_check); then die "cannot build the lab: $missing"; fi
    cmd_down >/dev/null

    # DIR and its parents must be traversable by postgres.
    mkdir -p -- "$(dirname -- "$DIR")"
    install -d -o postgres -g postgres -m 0755 -- "$DIR"
    : >"$DIR/$MARKER"
    as_pg test -x "$DIR" -a -w "$DIR" || die "$DIR is not reachable by the postgres user (check its parents' permissions)"
    install -d -o postgres -g postgres -m 0700 -- "$DIR/a" "$DIR/b"
    install -d -o postgres -g postgres -m 0755 -- "$DIR/a-sock" "$DIR/b-sock"

    # Network: root <-> A, root <-> B, A <-> B; the service address on A's loopback.
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add "$ROOT_A" type veth peer name "$A_UP"
    ip link set "$A_UP" netns "$NS_A"
    ip link add "$ROOT_B" type veth peer name "$B_UP"
    ip link set "$B_UP" netns "$NS_B"
    ip link add "$A_B" type veth peer name "$B_A"
    ip link set "$A_B" netns "$NS_A"
    ip link set "$B_A" netns "$NS_B"

    ip addr add "$ROOT_A_IP/24" dev "$ROOT_A"
    ip addr add "$ROOT_B_IP/24" dev "$ROOT_B"
    ip link set "$ROOT_A" up
    ip link set "$ROOT_B" up
    in_a ip link set lo up
    in_a ip addr add "$A_UP_IP/24" dev "$A_UP"
    in_a ip addr add "$A_B_IP/30" dev "$A_B"
    in_a ip addr add "$SERVICE_IP/32" dev lo
    in_a ip link set "$A_UP" up
    in_a ip link set "$A_B" up
    in_b ip link set lo up
    in_b ip addr add "$B_UP_IP/24" dev "$B_UP"
    in_b ip addr add "$B_A_IP/30" dev "$B_A"
    in_b ip link set "$B_UP" up
    in_b ip link set "$B_A" up
    # Return routes only for the lab's own subnet: the sites get no default route.
    in_a ip route add "$LAB_NET" via "$ROOT_A_IP"
    in_b ip route add "$LAB_NET" via "$ROOT_B_IP"
    ip route replace "$SERVICE_IP/32" via "$A_UP_IP"

    # Site A: the primary.
    as_pg "$PGBIN/initdb" -D "$DIR/a" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
        || die "initdb failed, see $DIR/initdb.log"
    cat >>"$DIR/a/postgresql.conf" <<EOF

# firedrill lab: lose a datacenter
listen_addresses = '*'
port = $PGPORT
unix_socket_directories = '$DIR/a-sock'
cluster_name = 'site-a'
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
EOF
    cat >"$DIR/a/pg_hba.conf" <<EOF
# firedrill lab: trust on the unix socket and on the lab's subnet only
local all         all                trust
local replication all                trust
host  all         all 127.0.0.1/32   trust
host  all         all $LAB_NET    trust
host  replication all $LAB_NET    trust
EOF
    in_a runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/a" -l "$DIR/a.log" -w -t 60 start >/dev/null
    psql -X -q "host=$DIR/a-sock port=$PGPORT user=postgres dbname=postgres" -v ON_ERROR_STOP=1 -c "create database drill" >/dev/null
    site_psql a -q -v ON_ERROR_STOP=1 \
        -c "create table canary (seq bigint primary key, ts timestamptz not null default clock_timestamp())" \
        -c "create table recovery_check (id serial primary key, ts timestamptz not null default clock_timestamp(), site text)"

    # Site B: a streaming replica, cloned over the inter-site link.
    in_b runuser -u postgres -- "$PGBIN/pg_basebackup" -h "$A_B_IP" -p "$PGPORT" -U postgres -D "$DIR/b" \
        -R -X stream -c fast >"$DIR/basebackup.log" 2>&1 || die "pg_basebackup failed, see $DIR/basebackup.log"
    cat >>"$DIR/b/postgresql.conf" <<EOF

# firedrill lab: site B (the replica)
unix_socket_directories = '$DIR/b-sock'
cluster_name = 'site-b'
EOF
    grep -q "host=$A_B_IP" "$DIR/b/postgresql.auto.conf" || die "pg_basebackup -R wrote no primary_conninfo to $A_B_IP"
    in_b runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/b" -l "$DIR/b.log" -w -t 60 start >/dev/null
    wait_streaming

    say "lab up in $((SECONDS - started))s: site A ($NS_A) primary at $A_UP_IP/$A_B_IP, site B ($NS_B) streaming replica at $B_UP_IP/$B_A_IP, service $SERVICE_IP:$PGPORT -> site A, data in $DIR"
}

# Often the first thing a failing site loses is its link to the other site: replication stops
# while clients still reach the primary, and what they write there from then on exists on A only.
cmd_cut_replication() {
    ns_exists "$NS_A" || die "no namespace $NS_A: is the lab up?"
    in_a ip link set "$A_B" down
    say "replication cut: $A_B (inter-site link, $A_B_IP) set down in $NS_A; clients still reach site A"
}

cmd_cut() {
    ns_exists "$NS_A" || die "no namespace $NS_A: is the lab up?"
    in_a ip link set "$A_UP" down
    in_a ip link set "$A_B" down
    say "site A cut off: $A_UP (uplink to root, $A_UP_IP) and $A_B (inter-site link, $A_B_IP) set down in $NS_A"
}

# The service address goes to SITE (a or b): off the other site's loopback, onto this one's,
# and the root namespace's route follows it.
move_service() {
    local to=$1
    if [ "$to" = b ]; then
        if ns_exists "$NS_A"; then in_a ip addr del "$SERVICE_IP/32" dev lo 2>/dev/null || true; fi
        in_b ip addr replace "$SERVICE_IP/32" dev lo
        ip route replace "$SERVICE_IP/32" via "$B_UP_IP"
    else
        if ns_exists "$NS_B"; then in_b ip addr del "$SERVICE_IP/32" dev lo 2>/dev/null || true; fi
        in_a ip addr replace "$SERVICE_IP/32" dev lo
        ip route replace "$SERVICE_IP/32" via "$A_UP_IP"
    fi
}

cmd_repoint() {
    ns_exists "$NS_B" || die "no namespace $NS_B: is the lab up?"
    move_service b
    say "service address $SERVICE_IP moved to site B: removed from $NS_A lo, added to $NS_B lo, root route via $B_UP_IP"
}

cmd_reconnect() {
    ns_exists "$NS_A" || die "no namespace $NS_A: is the lab up?"
    in_a ip link set "$A_UP" up
    in_a ip link set "$A_B" up
    if b_promoted; then
        move_service b
        say "site A reconnected ($A_UP, $A_B up); site B was promoted, so the service address stays on site B"
        if running a; then say "warning: site A's PostgreSQL is running as a second primary; stop it or rebuild it as a replica"; fi
    else
        move_service a
        say "site A reconnected ($A_UP, $A_B up); service address $SERVICE_IP back on site A (root route via $A_UP_IP)"
    fi
}

# Starts site A's PostgreSQL after a crash (its crash recovery runs first).
start_a() {
    local pid i
    if pid=$(postmaster_pid a); then
        # Wait for init to reap a killed postmaster; if it is still a zombie after 10s, its
        # pid file is stale: remove it so that the new postmaster does not refuse to start.
        for i in $(seq 100); do ps -o stat= -p "$pid" >/dev/null 2>&1 || break; sleep 0.1; done
        if ps -o stat= -p "$pid" >/dev/null 2>&1; then rm -f -- "$DIR/a/postmaster.pid"; fi
    fi
    in_a runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/a" -l "$DIR/a.log" -w -t 120 start >/dev/null
}

cmd_restart_a() {
    [ -f "$DIR/a/PG_VERSION" ] || die "no site A data directory in $DIR/a: is the lab up?"
    if b_promoted; then
        say "site B was promoted: not starting site A (that would make two primaries)"
    elif running a; then
        say "site A's PostgreSQL is already running"
    else
        start_a
        say "site A's PostgreSQL started again (crash recovery done)"
    fi
}

# After a drill: start site A's PostgreSQL where it lies, its links still down, to see what it
# held that site B never received (the writes that were lost). Never reachable by clients.
cmd_inspect_a() {
    [ -f "$DIR/a/PG_VERSION" ] || die "no site A data directory in $DIR/a: is the lab up?"
    in_a ip link set "$A_UP" down
    in_a ip link set "$A_B" down
    if ! running a; then
        start_a
    fi
    say "site A's PostgreSQL runs isolated (links down); query it with: $0 psql a $DIR"
}

cmd_promote() {
    running b || die "site B's PostgreSQL is not running"
    if [ "$(site_psql b -qtAc "select pg_is_in_recovery()")" = t ]; then
        in_b runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/b" promote -w -t 60 >/dev/null
    fi
    local i
    for i in $(seq 600); do
        if [ "$(site_psql b -qtAc "select pg_is_in_recovery()" 2>/dev/null)" = f ]; then
            say "site B promoted: pg_is_in_recovery() = false, now on timeline $(site_psql b -qtAc "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")"
            return 0
        fi
        sleep 0.1
    done
    die "site B still in recovery 60s after the promotion"
}

cmd_position() {
    local since=${1:-}
    running b || die "site B's PostgreSQL is not running"
    site_psql b -qtA -F '|' -v ON_ERROR_STOP=1 -c "
        select pg_is_in_recovery(),
               coalesce(pg_last_wal_receive_lsn()::text, ''),
               coalesce(pg_last_wal_replay_lsn()::text, ''),
               coalesce(extract(epoch from pg_last_xact_replay_timestamp())::text, ''),
               coalesce((select status from pg_stat_wal_receiver), 'none'),
               coalesce((select max(seq) from canary)::text, ''),
               (select count(*) from canary),
               extract(epoch from clock_timestamp())" |
    while IFS='|' read -r rec recv replay ts wr maxseq cnt now; do
        say "in_recovery=$rec"
        say "wal_receiver=$wr"
        say "last_wal_receive_lsn=$recv"
        say "last_wal_replay_lsn=$replay"
        say "last_xact_replay_epoch=$ts"
        say "canary_max_seq=$maxseq"
        say "canary_count=$cnt"
        say "now_epoch=$now"
        if [ -n "$since" ] && [ -n "$ts" ]; then
            say "disaster_epoch=$since"
            say "replay_gap_seconds=$(awk -v d="$since" -v t="$ts" 'BEGIN { printf "%.3f", d - t }')"
        fi
    done
}

cmd_status() {
    local s role links
    for s in a b; do
        if running "$s"; then
            role=$(site_psql "$s" -qtAc "select case when pg_is_in_recovery() then 'replica' else 'primary' end" 2>/dev/null || echo unknown)
        else
            role=stopped
        fi
        links=$(ip netns exec "fd-dc-$s" ip -br link 2>/dev/null | awk '$1 !~ /^lo/ {sub(/@.*/, "", $1); printf "%s:%s ", $1, $2}' || true)
        say "site $s: $role; links: ${links:-none}"
    done
    say "service $SERVICE_IP: $(ip route show "$SERVICE_IP/32" 2>/dev/null || true)"
}

# ---------------------------------------------------------------------------------------------

sub=${1:-}
[ $# -gt 0 ] && shift
case $sub in
    check) cmd_check ;;
    up) DIR=$(abs_dir "${1:-}"); cmd_up ;;
    down) DIR=$(abs_dir "${1:-}"); cmd_down ;;
    cut) DIR=$(abs_dir "${1:-}"); cmd_cut ;;
    cut-replication) DIR=$(abs_dir "${1:-}"); cmd_cut_replication ;;
    inspect-a) DIR=$(abs_dir "${1:-}"); cmd_inspect_a ;;
    reconnect) DIR=$(abs_dir "${1:-}"); cmd_reconnect ;;
    restart-a) DIR=$(abs_dir "${1:-}"); cmd_restart_a ;;
    promote) DIR=$(abs_dir "${1:-}"); cmd_promote ;;
    repoint) DIR=$(abs_dir "${1:-}"); cmd_repoint ;;
    position) DIR=$(abs_dir "${1:-}"); cmd_position "${2:-}" ;;
    status) DIR=$(abs_dir "${1:-}"); cmd_status ;;
    psql)
        site=${1:-}; [ $# -gt 0 ] && shift
        DIR=$(abs_dir "${1:-}"); [ $# -gt 0 ] && shift
        site_psql "$site" "$@" ;;
    *)
        sed -n '2,20s/^# \{0,1\}//p' "$0" >&2
        exit 2 ;;
esac
