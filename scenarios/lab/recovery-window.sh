#!/usr/bin/env bash
# Lab 3, the recovery window: one PostgreSQL cluster backed up by pgBackRest into a posix
# repository in DIR, its WAL archived through `pgbackrest archive-push` (archive_timeout=1, so
# WAL reaches the repository about every second while anything is written), and three full
# backups of which the repository keeps the newest RETENTION_FULL (default 2). The drill kills
# the "VM" (SIGKILL), wipes its disk, restores an older backup exactly (no later WAL) and then
# the newest one with every archived WAL segment, and checks with SQL what came back.
# Everything listens on 127.0.0.1 only; the unix socket lives in DIR.
#
#   recovery-window.sh check                     what is missing to run the lab (exit 1 if anything)
#   recovery-window.sh up      DIR PORT [RETENTION_FULL]
#       initdb, start, stanza-create, tables batch_rows and canary, then three full backups:
#       before backup k, batch k (100 rows) is inserted; backup k starts (k-1)*SPACING seconds
#       after the first (env BACKUP_SPACING, default 5: a backup takes 2.5-5 s here, so 0-2.5 s
#       pass between the end of one and the start of the next, and right after `up` the kept
#       backups' ages differ by about 5 s, the expired one's by about 10); nothing writes
#       during a backup.
#       DIR/truth.tsv: a header line, then per backup "label<TAB>batch<TAB>rows" (rows in
#       batch_rows when it was taken). Tears down a lab already in DIR first.
#   recovery-window.sh kill    DIR    SIGKILL the postmaster and every process of the server (by
#                                     working directory), wait until all are gone (zombies count as gone)
#   recovery-window.sh wipe    DIR    remove the data directory (killing the server first if it runs)
#   recovery-window.sh restore DIR SET|latest
#       SET: that backup only, to its consistent point (--type=immediate --target-action=promote);
#       latest: the newest backup and then all archived WAL (recovery to the end of the archive).
#       A running server is stopped (immediate) and the data directory wiped first. Returns once
#       the server accepts connections and pg_is_in_recovery() is false.
#   recovery-window.sh start|stop|down|status DIR
#       start: start the data directory as it is (crash recovery after a kill); stop: fast
#       shutdown; down: kill everything and remove DIR (refused for a non-empty DIR without
#       lab.env); status: one line per fact.
#   recovery-window.sh psql    DIR SQL        one statement, unaligned tuples-only output
#   recovery-window.sh write   DIR SEQ        insert canary row SEQ
#   recovery-window.sh read    DIR            the highest canary seq (0 if none)
#   recovery-window.sh info    DIR            pgbackrest info --output=json
#   recovery-window.sh backups DIR            the repository's backups, oldest first, one per line:
#                                             label type start stop (Unix s) wal-start lsn-stop archive-id
#
# Layout of DIR: lab.env, pgbackrest.conf (+ an empty conf.d, so /etc/pgbackrest is never
# read), repo/, log/, lock/, spool/, data/ (PGDATA, postgresql.conf inside it), sock/,
# postgres.log, postgres.pid (the postmaster's pid, for a drill's `kill: {pidfile: ...}`),
# truth.tsv. initdb, postgres and pgbackrest refuse root: as root they run as the `postgres`
# user, who must be able to reach DIR (every parent directory traversable). psql runs as the
# caller, over TCP to 127.0.0.1 (trust authentication: a lab). Every subcommand can be run
# again; `down` leaves nothing.
#
# Timelines (tested, PostgreSQL 15, pgBackRest 2.45): a restore of an older backup that promotes
# starts timeline 2 and archives 00000002.history ("1 0/6000050 reached consistency"), forked
# from timeline 1 at that backup's consistent point. A later restore of the newest backup with
# PostgreSQL's default recovery_target_timeline ('latest', what pgBackRest leaves when
# --target-timeline is not given) follows timeline 2, which forked before the newest backup, and
# PostgreSQL refuses to start: "requested timeline 2 is not a child of this server's history ...
# forked off from that timeline at 0/6000050". So `restore latest` picks the timeline itself
# (latest_timeline): from the newest backup's timeline it follows a child timeline only if the
# child forked at or after the end of its parent's archived WAL (a continuation that drops
# nothing, as a previous `restore latest` leaves: "1 0/E000000 no recovery target specified",
# whose later writes are then back too), never a side branch forked earlier (an exact restore:
# following it would drop the parent's writes after the backup, the newest canary rows; writes
# made on such a branch are what is dropped instead), and passes it as --target-timeline. The
# new timeline is then the highest in the archive plus one. Tested: older set then latest,
# newest set then latest, latest then latest, with writes in between, all bring the newest
# rows of the lineage back.
# `restore SET` wants the backup's own timeline too, but pgBackRest rejects --target-timeline
# with --type=immediate, so it goes in as --recovery-option=recovery_target_timeline=current.
# archive_timeout=1 is accepted (the minimum; 0 disables it); see start() for when it is not
# honoured. A drill loses the last 0.3-1.3 s of commits (the last, unswitched WAL segment).
set -euo pipefail

# shellcheck source=lab-common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lab-common.sh"

# Debian's PostgreSQL, whichever major version is installed (the newest if several).
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROWS_PER_BATCH=100
# The server's current timeline, from the name of the WAL segment it writes.
TIMELINE_SQL="select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"

die() { echo "recovery-window: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# initdb, postgres, pg_ctl and pgbackrest as `postgres` when run as root, from / (the caller's
# working directory may be closed to postgres).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}
pgbr() { as_pg pgbackrest --config="$DIR/pgbackrest.conf" --config-include-path="$DIR/conf.d" --stanza=main "$@"; }
sql() { PGCONNECT_TIMEOUT=3 psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "$1"; }

check() {
  local missing=0
  command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)"; missing=1; }
  [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] && [ -x "$PGBIN/postgres" ] ||
    { echo "PostgreSQL's server binaries are not in $PGBIN (apt-get install postgresql)"; missing=1; }
  command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql-client)"; missing=1; }
  command -v python3 >/dev/null || { echo "python3 is not installed (it reads pgbackrest's JSON)"; missing=1; }
  if [ "$(id -u)" = 0 ]; then
    command -v runuser >/dev/null || { echo "runuser is not installed (util-linux)"; missing=1; }
    id postgres >/dev/null 2>&1 || { echo "there is no postgres user to run the server as (root cannot)"; missing=1; }
  fi
  return $missing
}

# Settings written by `up`, read by everything else.
load() {
  [ -f "$DIR/lab.env" ] || die "no lab in $DIR: run '$0 up $DIR PORT' first"
  # shellcheck disable=SC1091
  . "$DIR/lab.env"
  DATA=$DIR/data
}

# --- the server's processes ------------------------------------------------------------------

# A pid that is alive and is a PostgreSQL process of this lab: its working directory is this
# lab's data directory (the postmaster and its children chdir there; "(deleted)" once wiped).
ours() {
  local cwd
  pid_alive "$1" || return 1
  cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || return 1
  [ "$cwd" = "$DATA" ] || [ "$cwd" = "$DATA (deleted)" ]
}

recorded_pid() {
  local pid=
  [ -f "$DIR/postgres.pid" ] && pid=$(head -n 1 "$DIR/postgres.pid" 2>/dev/null | tr -dc 0-9)
  [ -z "$pid" ] && [ -f "$DATA/postmaster.pid" ] && pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null | tr -dc 0-9)
  printf '%s' "$pid"
}

running() { local pid; pid=$(recorded_pid); [ -n "$pid" ] && ours "$pid"; }

# Every live process of the lab's server, found by working directory: the postmaster, its
# children (each of which PostgreSQL puts in a session of its own, so the postmaster's process
# group does not hold them) and an archive-push they run; also once only the postmaster was killed.
members() {
  local cwd p
  find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$DATA" -o -lname "$DATA (deleted)" \) 2>/dev/null |
    while read -r cwd; do p=${cwd#/proc/}; p=${p%/cwd}; pid_alive "$p" && echo "$p"; done
  return 0
}

# SIGKILL the server and all its processes; wait until none is alive (zombies count as gone).
kill_server() {
  local pid left waited=0
  pid=$(recorded_pid)
  left=$(members)
  if [ -z "$left" ]; then return 1; fi
  # The postmaster first, so that it starts no new child while the others die.
  KILLED_AT=$(now)
  if [ -n "$pid" ] && ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  while left=$(members) && [ -n "$left" ]; do
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    waited=$((waited + 1))
    [ $waited -le 200 ] || die "processes of the server still alive 20s after SIGKILL: $(echo $left)"
    sleep 0.05
  done
  return 0
}

# Wait until the server takes connections and is out of recovery.
wait_ready() {
  local waited=0 answer pid
  pid=$(recorded_pid)
  until answer=$(sql 'select pg_is_in_recovery()' 2>/dev/null) && [ "$answer" = f ]; do
    if ! running; then
      tail -n 8 "$DIR/postgres.log" >&2 || true
      die "the server exited; its log's end is above, the whole of it in $DIR/postgres.log"
    fi
    waited=$((waited + 1))
    [ $waited -le 1200 ] || die "the server (pid $pid) is not out of recovery after 120s; see $DIR/postgres.log"
    sleep 0.1
  done
}

start() {
  load
  [ -f "$DATA/PG_VERSION" ] || die "no data directory in $DATA (wiped?): run '$0 restore $DIR SET|latest'"
  if ! running; then
    kill_server || true   # leftovers of a server whose postmaster alone was killed
    # A killed server's lock files name its pid; that pid may still be a zombie (init reaps late)
    # and PostgreSQL would take it for a live server. No process of ours is alive: they are stale.
    rm -f "$DATA/postmaster.pid" "$DIR/sock/.s.PGSQL.$PORT" "$DIR/sock/.s.PGSQL.$PORT.lock" "$DIR/postgres.pid"
    # pg_ctl starts the postmaster in a session of its own (setsid), stdin from /dev/null and
    # output to the log, and waits until it takes connections (or, in archive recovery, is
    # consistent); `wait_ready` then waits for the end of recovery.
    if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DIR/postgres.log" -w -t 120 start >/dev/null; then
      tail -n 8 "$DIR/postgres.log" >&2 || true
      die "the server did not start; its log's end is above, the whole of it in $DIR/postgres.log"
    fi
    head -n 1 "$DATA/postmaster.pid" >"$DIR/postgres.pid"
  fi
  wait_ready
  # A checkpoint wakes the checkpointer, which honours archive_timeout. Without it, after the
  # end of an archive recovery the checkpointer may sleep until checkpoint_timeout (5 min), its
  # timeout computed while recovery was still in progress: no WAL switch, nothing archived,
  # however much is written (seen here on PostgreSQL 15 after one `restore latest` in two).
  sql checkpoint >/dev/null
  say "postgres pid $(cat "$DIR/postgres.pid") ready on 127.0.0.1:$PORT (timeline $(sql "$TIMELINE_SQL"))"
}

stop() {
  load
  if running; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null || kill_server || true
    kill_server || true
    say "stopped"
  else
    kill_server || true
    say "not running"
  fi
}

# The VM dies: SIGKILL, no shutdown.
kill_cmd() {
  load
  local pid
  pid=$(recorded_pid)
  if kill_server; then say "$KILLED_AT killed postgres (pid $pid) with SIGKILL, gone at $(now)"; else say "postgres was not running"; fi
}

# The VM's disk is lost.
wipe() {
  load
  if kill_server; then say "the server was still running: killed it"; fi
  rm -rf "${DATA:?}"
  say "wiped $DATA"
}

# --- pgBackRest ------------------------------------------------------------------------------

info() { load; pgbr info --output=json; }

# The repository's backups, oldest first: label, type, start, stop (Unix seconds), first WAL
# segment, LSN at the stop, archive id.
backups() {
  load
  pgbr info --output=json | python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `backups | head -n 1`
for stanza in json.load(sys.stdin):
    archive_ids = {a["database"]["id"]: a["id"] for a in stanza.get("archive", [])}
    for b in stanza.get("backup", []):
        print("\t".join(str(v) for v in (b["label"], b["type"], b["timestamp"]["start"], b["timestamp"]["stop"],
                                          b["archive"]["start"], b["lsn"]["stop"], archive_ids.get(b["database"]["id"], "?"))))'
}

lsn_int() { local hi=${1%/*} lo=${1#*/}; printf '%d' $(( (16#$hi << 32) | 16#$lo )); }

# The timeline `restore latest` recovers along (see the header comment): from the newest
# backup's timeline, follow a child timeline only if it forked at or after the end of its
# parent's archived WAL (a continuation that drops nothing: what a previous `restore latest`
# promoted to), never one that forked earlier (an exact restore of a backup, a side branch
# that would drop the parent's later writes); the highest such child at each step. The
# repository is read directly: posix, unencrypted, the lab's own (archive-get would need
# pg_control, and the data directory is gone).
WAL_SEGMENT=$((16 * 1024 * 1024))   # initdb's default, as `up` leaves it

# The LSN (as a number) just past timeline $1's newest archived segment, 0 if it has none.
archived_end() {
  local tl hex last f name
  hex=$(printf '%08X' "$1"); last=
  for f in "$ARCHIVE_DIR/$hex"????????/"$hex"????????????????-*; do
    [ -e "$f" ] || continue
    name=${f##*/}; name=${name%%-*}
    [ ${#name} = 24 ] && { [ -z "$last" ] || [[ $name > $last ]]; } && last=$name
  done
  [ -n "$last" ] || { echo 0; return; }
  echo $(( (16#${last:8:8} << 32) + 16#${last:16:8} * WAL_SEGMENT + WAL_SEGMENT ))
}

latest_timeline() {
  local newest wal lsn_stop tl end f child parent switch next fork
  newest=$(backups | tail -n 1)
  [ -n "$newest" ] || die "the repository holds no backup"
  wal=$(cut -f5 <<<"$newest"); lsn_stop=$(lsn_int "$(cut -f6 <<<"$newest")")
  ARCHIVE_DIR="$DIR/repo/archive/main/$(cut -f7 <<<"$newest")"
  tl=$((16#${wal:0:8})); fork=$lsn_stop
  while :; do
    # Where the parent's WAL ends: its newest archived segment, or where it began (forked) or
    # the backup's end if that is later.
    end=$(archived_end "$tl"); [ "$end" -ge "$fork" ] || end=$fork
    next=
    for f in "$ARCHIVE_DIR"/*.history; do
      [ -e "$f" ] || continue
      child=${f##*/}; child=$((16#${child%.history}))
      [ "$child" -gt "$tl" ] || continue
      # The last line names the child's own parent and where it forked from it.
      read -r parent switch _ < <(grep -E '^[0-9]+[[:space:]]' "$f" | tail -n 1) || continue
      if [ "$parent" = "$tl" ] && [ "$(lsn_int "$switch")" -ge "$end" ]; then
        if [ -z "$next" ] || [ "$child" -gt "$next" ]; then next=$child; fork=$(lsn_int "$switch"); fi
      fi
    done
    [ -n "$next" ] || break
    tl=$next
  done
  echo "$tl"
}

restore() {
  load
  local set=${1:-} timeline t0 t1 t2
  [ -n "$set" ] || die "usage: $0 restore DIR SET|latest"
  if running; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    kill_server || true
    say "stopped the running server (immediate)"
  fi
  kill_server || true
  rm -rf "${DATA:?}" "$DIR/postgres.pid"
  t0=$(date +%s%N)
  if [ "$set" = latest ]; then
    timeline=$(latest_timeline)
    say "$(now) restoring the newest backup ($(backups | tail -n 1 | cut -f1)) and all archived WAL along timeline $timeline"
    pgbr restore --type=default --target-timeline="$timeline" || die "pgbackrest restore failed; see $DIR/log"
  else
    backups | cut -f1 | grep -qxF -- "$set" || die "no backup '$set' in the repository (it has: $(backups | cut -f1 | tr '\n' ' '))"
    say "$(now) restoring backup $set to its consistent point"
    pgbr restore --set="$set" --type=immediate --target-action=promote --recovery-option=recovery_target_timeline=current ||
      die "pgbackrest restore failed; see $DIR/log"
  fi
  t1=$(date +%s%N)
  start
  t2=$(date +%s%N)
  say "pgbackrest restore took $(ms "$t0" "$t1") ms, PostgreSQL's recovery up to taking writes $(ms "$t1" "$t2") ms"
}

# --- the lab ---------------------------------------------------------------------------------

up() {
  [ $# -ge 2 ] || die "usage: $0 up DIR PORT [RETENTION_FULL]"
  local port=$2 retention=${3:-2} spacing=${BACKUP_SPACING:-5} k rows label sock
  case $port in ''|*[!0-9]*) die "PORT must be a number, not '$port'" ;; esac
  [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || die "PORT must be between 1024 and 65535"
  case $retention in ''|*[!0-9]*|0) die "RETENTION_FULL must be a positive number, not '$retention'" ;; esac
  case $spacing in ''|*[!0-9]*|0) die "BACKUP_SPACING must be a positive number of seconds, not '$spacing'" ;; esac
  check >&2 || die "missing what the lab needs"
  case $DIR in *[[:space:]\'\"\\\$\`%]*) die "DIR must not hold spaces, quotes, \\, \$, \` or %: it goes into archive_command" ;; esac
  sock="$DIR/sock/.s.PGSQL.$port.lock"
  [ ${#sock} -le 107 ] || die "DIR is too long for a unix socket path ($sock)"
  if [ -f "$DIR/lab.env" ]; then down; fi
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then die "$DIR is not empty and holds no lab: refusing to use it"; fi
  mkdir -p "$DIR"/{repo,log,lock,spool,sock,conf.d}
  cat >"$DIR/lab.env" <<EOF
PORT=$port
RETENTION_FULL=$retention
PGBIN=$PGBIN
EOF
  load
  cat >"$DIR/pgbackrest.conf" <<EOF
[global]
repo1-path=$DIR/repo
repo1-retention-full=$retention
log-path=$DIR/log
lock-path=$DIR/lock
spool-path=$DIR/spool
log-level-console=warn
log-level-file=info
start-fast=y
archive-check=y
compress-type=lz4

[main]
pg1-path=$DATA
pg1-port=$port
pg1-socket-path=$DIR/sock
pg1-user=postgres
EOF
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
  as_pg test -w "$DIR/repo" ||
    die "the postgres user cannot reach $DIR (every parent directory must be traversable by it)"

  as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=trust -E UTF8 --no-sync >"$DIR/initdb.log" ||
    die "initdb failed; see $DIR/initdb.log"
  cat >>"$DATA/postgresql.conf" <<EOF

# recovery-window lab
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/sock'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$DIR/pgbackrest.conf --config-include-path=$DIR/conf.d --stanza=main archive-push %p'
archive_timeout = 1
track_commit_timestamp = on
log_line_prefix = '%m [%p] '
EOF
  start
  pgbr stanza-create || die "stanza-create failed; see $DIR/log"
  sql 'create table batch_rows(batch int not null, n int not null, primary key (batch, n));
       create table canary(seq bigint primary key, written_at timestamptz not null default clock_timestamp())' >/dev/null
  printf 'label\tbatch\trows\n' >"$DIR/truth.tsv"
  # Backup k starts (k-1)*SPACING seconds after the first, whatever a backup takes (2.5-4 s
  # here), so that right after `up` the backups' ages differ by SPACING and 2*SPACING.
  local t0 due wait_ns
  t0=$(date +%s%N)
  for k in 1 2 3; do
    due=$((t0 + (k - 1) * spacing * 1000000000))
    wait_ns=$((due - $(date +%s%N)))
    if [ $wait_ns -gt 0 ]; then sleep "$((wait_ns / 1000000000)).$(printf '%09d' $((wait_ns % 1000000000)))"; fi
    sql "insert into batch_rows select $k, n from generate_series(1, $ROWS_PER_BATCH) n" >/dev/null
    rows=$(sql 'select count(*) from batch_rows')
    pgbr backup --type=full || die "backup $k failed; see $DIR/log"
    label=$(backups | tail -n 1 | cut -f1)
    printf '%s\t%s\t%s\n' "$label" "$k" "$rows" >>"$DIR/truth.tsv"
    say "$(now) backup $k: $label after batch $k ($rows rows)"
  done
  local newest_stop
  newest_stop=$(backups | tail -n 1 | cut -f4)
  say "backups started ${spacing}s apart; the repository keeps the newest $retention:"
  backups | while IFS=$'\t' read -r label _ start stop _; do
    say "  $label: started $start, stopped $stop ($((newest_stop - stop))s before the newest one stopped)"
  done
  say "truth: $DIR/truth.tsv"
}

down() {
  [ -d "$DIR" ] || return 0
  if [ ! -f "$DIR/lab.env" ]; then
    [ -z "$(ls -A "$DIR")" ] || die "$DIR holds no lab (no lab.env): not removing it"
  else
    load
    kill_server || true
  fi
  rm -rf "${DIR:?}"
  say "lab in $DIR removed"
}

status() {
  load
  if running; then
    say "postgres: running, pid $(recorded_pid), 127.0.0.1:$PORT"
    say "in recovery: $(sql 'select pg_is_in_recovery()' 2>/dev/null || echo '?')"
    say "timeline: $(sql "$TIMELINE_SQL" 2>/dev/null || echo '?')"
    say "batches: $(sql "select coalesce(string_agg(batch || ':' || c, ' '), 'none') from (select batch, count(*) c from batch_rows group by batch order by batch) b" 2>/dev/null || echo '?')"
    say "canary max seq: $(sql 'select coalesce(max(seq),0) from canary' 2>/dev/null || echo '?')"
  else
    say "postgres: not running"
  fi
  say "data: $DATA $([ -f "$DATA/PG_VERSION" ] && echo present || echo absent)"
  say "backups: $(backups 2>/dev/null | cut -f1 | tr '\n' ' ')(retention-full $RETENTION_FULL)"
}

command=${1:-}
usage="check | up DIR PORT [RETENTION_FULL] | kill|wipe|start|stop|down|status|read|info|backups DIR | restore DIR SET|latest | psql DIR SQL | write DIR SEQ"
[ -n "$command" ] || die "usage: $0 $usage"
if [ "$command" = check ]; then check; exit; fi
[ $# -ge 2 ] || die "usage: $0 $usage"
DIR=$(realpath -m -- "$2")
case $DIR in
  /|/bin|/boot|/dev|/etc|/home|/lib|/lib64|/opt|/proc|/root|/run|/sbin|/srv|/sys|/tmp|/usr|/var|/var/tmp|/work)
    die "refusing to use $DIR as the lab directory" ;;
esac
case "$command" in
  up) shift; up "$@" ;;
  kill) kill_cmd ;;
  wipe) wipe ;;
  restore) restore "${3:-}" ;;
  start) start ;;
  stop) stop ;;
  down) down ;;
  status) status ;;
  psql) [ $# -ge 3 ] || die "usage: $0 psql DIR SQL"; load; sql "$3" ;;
  write)
    case ${3:-} in ''|*[!0-9]*) die "usage: $0 write DIR SEQ (a number)" ;; esac
    load; sql "insert into canary(seq) values ($3)" >/dev/null ;;
  read) load; sql 'select coalesce(max(seq),0) from canary' ;;
  info) info ;;
  backups) backups ;;
  *) die "unknown command '$command'" ;;
esac
