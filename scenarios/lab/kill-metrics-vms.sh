#!/usr/bin/env bash
# The metrics-store lab: a Prometheus that scrapes the sample service every second, on
# 127.0.0.1 only, with its backups as TSDB snapshots (admin API) copied to a "bucket"
# directory that stands in for object storage. The drill kills the "VM" (Prometheus and its
# backup job, SIGKILL), wipes its disk, and restores the newest snapshot.
#
#   kill-metrics-vms.sh check
#   kill-metrics-vms.sh up DIR PROM_PORT TARGET_PORT [BACKUP_EVERY_SECONDS]
#   kill-metrics-vms.sh wipe|restore|start|recover|down|status DIR
#
# Everything lives in DIR: prometheus.yml, the data directory named in DIR/current, the
# bucket, the pidfiles and logs. Every subcommand can be run again; `down` leaves nothing.
set -euo pipefail

# shellcheck source=lab-common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lab-common.sh"

die() { echo "kill-metrics-vms: $*" >&2; exit 1; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

check() {
  local missing=0
  command -v prometheus >/dev/null || { echo "prometheus is not installed (apt-get install prometheus)"; missing=1; }
  command -v curl >/dev/null || { echo "curl is not installed (apt-get install curl)"; missing=1; }
  return $missing
}

# Settings written by `up`, read by everything else.
load() {
  [ -f "$DIR/lab.env" ] || die "no lab in $DIR: run '$0 up $DIR PROM_PORT TARGET_PORT' first"
  # shellcheck disable=SC1091
  . "$DIR/lab.env"
  URL="http://127.0.0.1:$PROM_PORT"
}

alive() { [ -f "$1" ] && pid_alive "$(cat "$1")"; }

stop_pidfile() {
  if alive "$1"; then kill -KILL "$(cat "$1")" 2>/dev/null || true; fi
  rm -f "$1"
}

start() {
  load
  local data
  data=$(cat "$DIR/current")
  mkdir -p "$data"
  if ! alive "$DIR/prometheus.pid"; then
    # setsid: Prometheus is its own process group, as a VM's processes are not the drill's.
    setsid prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$data" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-admin-api \
      >>"$DIR/prometheus.log" 2>&1 </dev/null &
    echo $! >"$DIR/prometheus.pid"
  fi
  local waited=0
  until curl -fsS -m 1 "$URL/-/ready" >/dev/null 2>&1; do
    if ! alive "$DIR/prometheus.pid"; then
      tail -n 5 "$DIR/prometheus.log" >&2
      die "prometheus exited; its log's end is above, the whole of it in $DIR/prometheus.log"
    fi
    waited=$((waited + 1))
    [ $waited -le 600 ] || die "prometheus not ready after 60s; see $DIR/prometheus.log"
    sleep 0.1
  done
  if ! alive "$DIR/backup.pid"; then
    setsid "$0" backup-loop "$DIR" >>"$DIR/backup.log" 2>&1 </dev/null &
    echo $! >"$DIR/backup.pid"
  fi
  echo "prometheus pid $(cat "$DIR/prometheus.pid") ready on $URL with data in $data; backups every ${BACKUP_EVERY}s to $DIR/bucket"
}

# One backup: a snapshot through the admin API, copied whole into the bucket under a temporary
# name and renamed, so the bucket never holds half a snapshot; then removed from the data dir.
snapshot() {
  load
  local data answer name
  data=$(cat "$DIR/current")
  answer=$(curl -fsS -m 10 -X POST "$URL/api/v1/admin/tsdb/snapshot") || die "snapshot request failed"
  name=$(printf '%s' "$answer" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
  [ -n "$name" ] || die "no snapshot name in: $answer"
  cp -a "$data/snapshots/$name" "$DIR/bucket/.partial-$name"
  mv "$DIR/bucket/.partial-$name" "$DIR/bucket/$name"
  rm -rf "${data:?}/snapshots/$name"
  # The bucket keeps the newest five.
  ls -1 "$DIR/bucket" | grep -v '^\.' | sort | head -n -5 | while read -r old; do rm -rf "${DIR:?}/bucket/$old"; done
  echo "$(now) snapshot $name"
}

backup_loop() {
  load
  while true; do
    snapshot || echo "$(now) snapshot failed"
    sleep "$BACKUP_EVERY"
  done
}

up() {
  [ $# -ge 3 ] || die "usage: $0 up DIR PROM_PORT TARGET_PORT [BACKUP_EVERY_SECONDS]"
  local prom_port=$2 target_port=$3 every=${4:-5}
  check >&2 || die "missing what the lab needs"
  [ -f "$DIR/lab.env" ] && down
  mkdir -p "$DIR/bucket"
  cat >"$DIR/lab.env" <<EOF
PROM_PORT=$prom_port
TARGET_PORT=$target_port
BACKUP_EVERY=$every
EOF
  cat >"$DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: app
    static_configs: [{targets: ["127.0.0.1:$target_port"]}]
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$prom_port"]}]
EOF
  echo "$DIR/data" >"$DIR/current"
  start
}

# The VM's disk is gone.
wipe() {
  load
  local data
  data=$(cat "$DIR/current")
  rm -rf "${data:?}"
  echo "wiped $data"
}

# The newest snapshot in the bucket, copied into a new data directory that `start` uses.
restore() {
  load
  local newest target
  newest=$(ls -1 "$DIR/bucket" | grep -v '^\.' | sort | tail -n 1)
  [ -n "$newest" ] || die "the bucket $DIR/bucket holds no snapshot"
  target="$DIR/data-restored-$(date -u +%Y%m%dT%H%M%S%N)"
  cp -a "$DIR/bucket/$newest" "$target.partial"
  mv "$target.partial" "$target"
  echo "$target" >"$DIR/current"
  echo "restored snapshot $newest into $target"
}

# The rollback: whatever state the drill left, Prometheus runs again, from the newest snapshot
# if its data is gone.
recover() {
  load
  if alive "$DIR/prometheus.pid"; then start; return; fi
  [ -d "$(cat "$DIR/current")" ] || restore
  start
}

down() {
  [ -d "$DIR" ] || return 0
  stop_pidfile "$DIR/backup.pid"
  stop_pidfile "$DIR/prometheus.pid"
  rm -rf "${DIR:?}"
  echo "lab in $DIR removed"
}

status() {
  load
  echo "prometheus: $(alive "$DIR/prometheus.pid" && echo "running, pid $(cat "$DIR/prometheus.pid")" || echo "not running")"
  echo "backups: $(alive "$DIR/backup.pid" && echo "running" || echo "not running"); bucket: $(ls -1 "$DIR/bucket" | grep -vc '^\.' || true) snapshots"
  echo "data: $(cat "$DIR/current")"
}

command=${1:-}
[ -n "$command" ] || die "usage: $0 check | up DIR PROM_PORT TARGET_PORT [BACKUP_EVERY_SECONDS] | wipe|restore|start|recover|down|status DIR"
if [ "$command" = check ]; then check; exit; fi
[ $# -ge 2 ] || die "usage: $0 $command DIR ..."
DIR=$2
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
case "$command" in
  up) shift; up "$@" ;;
  wipe) wipe ;;
  restore) restore ;;
  recover) recover ;;
  start) start ;;
  snapshot) snapshot ;;
  backup-loop) backup_loop ;;
  down) down ;;
  status) status ;;
  *) die "unknown command '$command'" ;;
esac
