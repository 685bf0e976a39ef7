#!/usr/bin/env bash
# The protected-backups lab (lab 4): backups that survive an attacker. restic backs up a
# service's data directory to a repository served by `rclone serve restic --append-only` on
# 127.0.0.1; the server's "disk" is DIR/server-disk. The client authenticates with HTTP basic
# auth (an htpasswd user, in the rest: URL) and knows the repository password, and so does the
# attacker: it holds the client's credentials and tries to destroy the backups, with restic
# (forget every snapshot, prune) and straight through the server's REST API (DELETE every file).
# Under --append-only both are refused and the data comes back; under `open` they succeed.
#
#   protected-backups.sh check
#   protected-backups.sh up DIR PORT [append-only|open]
#   protected-backups.sh snapshots|backup|check-repo|lose|verify|down|status DIR
#   protected-backups.sh attack-forget DIR [SECONDS]
#   protected-backups.sh attack-delete DIR
#   protected-backups.sh restore DIR SNAPSHOT|latest
#
# up            DIR/data (50 files of random content, ~3 MB, two nested directories), the server
#               on 127.0.0.1:PORT over DIR/server-disk (--append-only unless `open`), `restic
#               init`, three snapshots a second or more apart with changes between them, and
#               DIR/manifest.sha256: `sha256sum` lines, relative paths, sorted, of the data as of
#               the newest snapshot (51 files). A lab already in DIR is taken down first.
# snapshots     `restic snapshots --json`, the JSON alone on stdout (an array, oldest first).
# backup        one more snapshot of DIR/data as it is, and the manifest rewritten to match it.
# check-repo    `restic check --read-data`.
# attack-forget `restic forget --prune` of every snapshot ID, with the client's credentials,
#               stopped after SECONDS (default 15) with SIGINT: under append-only restic 0.14
#               retries each 403 ten times with backoff (about a minute) before it gives up.
#               Then the count of snapshots again. Exit 0: the attack deleted snapshots; 1: every
#               snapshot is still there; 2: the attack could not be made (lab broken).
# attack-delete HTTP requests to the server with the client's credentials: an overwrite of
#               /config, a path trick (DELETE /locks/../snapshots/ID), and DELETE of every file
#               GET /{snapshots,index,keys,data}/ lists, then of /config. Locks are listed, not
#               deleted (rclone lets anyone delete locks even under --append-only: restic must
#               delete its own). Exit 0: some request was accepted (2xx); 1: all refused; 2: the
#               attack could not be made. Each answer in DIR/attack-delete.log, a summary on stdout.
# lose          the primary data is lost: rm -rf DIR/data.
# restore       the snapshot (an ID, short or long, or `latest`) restored in place into DIR/data,
#               as a real recovery would: into DIR/.restoring first (with --verify), then renamed,
#               so DIR/data is never half a restore; a DIR/data still there is replaced.
# verify        DIR/data against DIR/manifest.sha256: differences on stderr, and one JSON line on
#               stdout: {"files": N, "mismatched": 0, "missing": 0, "extra": 0} (files: in the
#               manifest). Exit 1 if anything differs. The manifest is the newest snapshot's:
#               restoring an older one fails verify on purpose.
# down          the server stopped, DIR removed. status: the server, the snapshots, the data.
#
# Everything lives in DIR: lab.env (the port, the mode, the client's credentials, mode 600),
# restic-password, htpasswd, server.pid, server.log, cache (restic's), the attacks' logs. Every
# subcommand can be run again; `down` leaves nothing.
set -euo pipefail

# shellcheck source=lab-common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lab-common.sh"

# The caller's restic and rclone settings must not reach the lab's (RESTIC_PASSWORD wins over
# the password file; RCLONE_ADDR would move the server).
unset "${!RESTIC_@}" "${!RCLONE_@}"

# attack-* exit 1 when the attack was refused: a lab that cannot even make the attack must not
# look protected, so they die with 2.
DIE_STATUS=1
die() { echo "protected-backups: $*" >&2; exit "$DIE_STATUS"; }

check() {
  local missing=0 tool
  for tool in restic rclone curl openssl; do
    command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install $tool)"; missing=1; }
  done
  for tool in sha256sum timeout setsid; do
    command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install coreutils util-linux)"; missing=1; }
  done
  return $missing
}

# Settings written by `up`, read by everything else; restic finds its repository, password and
# cache in the environment.
load() {
  [ -f "$DIR/lab.env" ] || die "no lab in $DIR: run '$0 up $DIR PORT' first"
  # shellcheck disable=SC1091
  . "$DIR/lab.env"
  URL="http://127.0.0.1:$PORT"
  export RESTIC_REPOSITORY="rest:http://$REST_USER:$REST_PASS@127.0.0.1:$PORT/"
  export RESTIC_PASSWORD_FILE="$DIR/restic-password"
  export RESTIC_CACHE_DIR="$DIR/cache"
}

alive() { [ -f "$1" ] && pid_alive "$(cat "$1")"; }

# Any HTTP answer at all (000: none).
answer_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' -u "$REST_USER:$REST_PASS" "$URL/config" 2>/dev/null || true; }

# restic retries a refused connection for about a minute: fail at once instead.
require_server() {
  alive "$DIR/server.pid" || die "the backup server is not running (see $DIR/server.log)"
  [ "$(answer_code)" != 000 ] || die "the backup server on $URL does not answer"
}

start_server() {
  load
  if alive "$DIR/server.pid"; then return; fi
  [ "$(answer_code)" = 000 ] || die "something already answers on 127.0.0.1:$PORT"
  local flags=()
  [ "$MODE" = append-only ] && flags+=(--append-only)
  # setsid: the backup server is its own process group, as another host's processes would be.
  setsid rclone serve restic --addr "127.0.0.1:$PORT" "${flags[@]}" --htpasswd "$DIR/htpasswd" \
    --config /dev/null --stats 0 -v "$DIR/server-disk" >>"$DIR/server.log" 2>&1 </dev/null &
  echo $! >"$DIR/server.pid"
  local waited=0
  until [ "$(answer_code)" != 000 ]; do
    if ! alive "$DIR/server.pid"; then
      tail -n 5 "$DIR/server.log" >&2
      die "rclone serve restic exited; its log's end is above, the whole of it in $DIR/server.log"
    fi
    waited=$((waited + 1))
    [ $waited -le 300 ] || die "rclone serve restic not answering after 30s; see $DIR/server.log"
    sleep 0.1
  done
  alive "$DIR/server.pid" || die "rclone serve restic exited (is port $PORT taken?); see $DIR/server.log"
}

# Random content, SIZE bytes.
random_file() { head -c "$2" /dev/urandom >"$1"; }

make_data() {
  local data=$DIR/data i
  mkdir -p "$data/nested/deeper"
  for i in $(seq -w 1 40); do random_file "$data/file-$i.bin" $(((RANDOM % 128 + 8) * 1024)); done
  for i in 1 2 3 4 5; do random_file "$data/nested/part-$i.bin" $(((RANDOM % 64 + 4) * 1024)); done
  for i in 1 2 3 4 5; do random_file "$data/nested/deeper/leaf-$i.bin" $(((RANDOM % 16 + 1) * 1024)); done
}

# Between snapshot 1 and 2: files rewritten, one appended to, one added.
change_data_1() {
  local data=$DIR/data
  random_file "$data/file-03.bin" 40960
  random_file "$data/file-17.bin" 20480
  random_file "$data/nested/part-2.bin" 8192
  head -c 4096 /dev/urandom >>"$data/file-29.bin"
  echo "written after snapshot 1 at $(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" >"$data/after-snapshot-1.txt"
}

# Between snapshot 2 and 3: one removed, files rewritten, one added deep down.
change_data_2() {
  local data=$DIR/data
  rm -f "$data/file-11.bin"
  random_file "$data/file-03.bin" 12288
  random_file "$data/nested/deeper/leaf-4.bin" 2048
  random_file "$data/nested/deeper/after-snapshot-2.bin" 65536
}

write_manifest() {
  (cd "$DIR/data" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum) \
    >"$DIR/manifest.sha256.partial"
  mv "$DIR/manifest.sha256.partial" "$DIR/manifest.sha256"
}

# One snapshot of DIR/data as it is, from inside it (the snapshot's root holds the data's files,
# so a restore --target DIR/data puts them back in place); the manifest rewritten to match.
backup() {
  load
  require_server
  [ -d "$DIR/data" ] || die "no data in $DIR/data to back up"
  local out id
  out=$(cd "$DIR/data" && restic backup --json --host firedrill-lab --tag protected-backups .) \
    || die "restic backup failed"
  id=$(printf '%s\n' "$out" | grep -o '"snapshot_id":"[0-9a-f]*"' | cut -d'"' -f4)
  [ -n "$id" ] || die "no snapshot ID in restic's answer: $(printf '%s' "$out" | tail -n 1)"
  write_manifest
  echo "snapshot ${id:0:8} saved ($(wc -l <"$DIR/manifest.sha256") files)"
}

up() {
  [ $# -ge 2 ] || die "usage: $0 up DIR PORT [append-only|open]"
  local port=$2 mode=${3:-append-only}
  case "$mode" in append-only|open) ;; *) die "the mode is append-only or open, not '$mode'" ;; esac
  case "$port" in ''|*[!0-9]*) die "the port must be a number, not '$port'" ;; esac
  check >&2 || die "missing what the lab needs"
  [ -f "$DIR/lab.env" ] && down
  if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then die "$DIR exists and is not a lab: not using it"; fi
  mkdir -p "$DIR/server-disk" "$DIR/cache"
  (
    umask 077
    local user=drill-client pass
    pass=$(openssl rand -hex 16)
    openssl rand -hex 24 >"$DIR/restic-password"
    printf '%s:%s\n' "$user" "$(printf '%s\n' "$pass" | openssl passwd -apr1 -stdin)" >"$DIR/htpasswd"
    cat >"$DIR/lab.env" <<EOF
PORT=$port
MODE=$mode
REST_USER=$user
REST_PASS=$pass
EOF
  )
  start_server
  restic init >/dev/null || die "restic init failed; see $DIR/server.log"
  make_data
  backup
  sleep 1
  change_data_1
  backup
  sleep 1
  change_data_2
  backup
  echo "lab up in $DIR: server pid $(cat "$DIR/server.pid") on $URL ($MODE), 3 snapshots of $DIR/data"
}

snapshots() {
  load
  require_server
  # No lock: the inventory reads, and must work while an attacker's stale lock is there.
  restic snapshots --json --no-lock
}

check_repo() {
  load
  require_server
  restic check --read-data
}

count_snapshots() {
  local ids
  ids=$(restic list snapshots --no-lock) || return 1
  printf '%s\n' "$ids" | grep -c . || true
}

attack_forget() {
  DIE_STATUS=2
  load
  require_server
  local seconds=${1:-15} ids before after rc
  case "$seconds" in ''|*[!0-9]*) die "SECONDS must be a number, not '$seconds'" ;; esac
  ids=$(restic list snapshots --no-lock) || die "cannot list the snapshots: the attack could not be made"
  before=$(printf '%s\n' "$ids" | grep -c . || true)
  [ "$before" -gt 0 ] || die "no snapshots to attack"
  echo "attacker: restic forget --prune of all $before snapshots, with the client's credentials (stopped after ${seconds}s)"
  # The attacker is on another machine: no cache of the client's. SIGINT: restic removes its
  # lock on the way out (SIGTERM or SIGKILL leave it, and it blocks backups until an unlock).
  rc=0
  # shellcheck disable=SC2086
  timeout -s INT -k 5 "$seconds" restic --no-cache forget --prune $ids >"$DIR/attack-forget.log" 2>&1 || rc=$?
  restic unlock >/dev/null 2>&1 || true
  case $rc in
    0) echo "restic: exit 0" ;;
    124) echo "restic: stopped after ${seconds}s, still retrying" ;;
    *) echo "restic: exit $rc" ;;
  esac
  echo "restic's answers: $(grep -c 'returned error, retrying' "$DIR/attack-forget.log" || true) retried errors ($(grep -c '403 Forbidden' "$DIR/attack-forget.log" || true) saying 403 Forbidden); it said:"
  grep -E 'returned error|unable to remove|removed|Fatal' "$DIR/attack-forget.log" | sed 's/retrying after [0-9.]*m\?s/retrying after …/' | sort -u | head -n 4 | sed 's/^/  /' || true
  require_server
  if ! ids=$(restic list snapshots --no-lock 2>/dev/null); then
    echo "ATTACK SUCCEEDED: the repository cannot be read any more (log: $DIR/attack-forget.log)"
    exit 0
  fi
  after=$(printf '%s\n' "$ids" | grep -c . || true)
  if [ "$after" -lt "$before" ]; then
    echo "ATTACK SUCCEEDED: $((before - after)) of $before snapshots deleted, $after left (log: $DIR/attack-forget.log)"
    exit 0
  fi
  echo "attack refused: all $before snapshots still listed (log: $DIR/attack-forget.log)"
  exit 1
}

attack_delete() {
  DIE_STATUS=2
  load
  require_server
  local log=$DIR/attack-delete.log type names name code first="" accepted=0 refused=0 listed=0
  : >"$log"
  api() { curl -sS -m 10 -u "$REST_USER:$REST_PASS" "$@"; }
  # One request; its answer logged and counted. 2xx: the server did it.
  try() {
    local what=$1
    shift
    code=$(api -o /dev/null -w '%{http_code}' "$@" 2>>"$log") || code=000
    echo "$what -> $code" >>"$log"
    case $code in 2??) accepted=$((accepted + 1)) ;; *) refused=$((refused + 1)) ;; esac
  }
  list() {
    local body
    body=$(api -f -H 'Accept: application/vnd.x.restic.rest.v2' "$URL/$1/") \
      || die "GET /$1/ failed: the attack could not be made"
    printf '%s' "$body" | grep -o '"name":"[^"]*"' | cut -d'"' -f4 || true
  }
  echo "attacker: HTTP requests to $URL with the client's credentials"
  names=$(list snapshots)
  first=$(printf '%s\n' "$names" | head -n 1)
  try "POST /config (overwrite)" -X POST --data-binary 'encrypted by the attacker' "$URL/config"
  echo "  overwrite POST /config: $code"
  if [ -n "$first" ]; then
    try "DELETE /locks/../snapshots/$first" --path-as-is -X DELETE "$URL/locks/../snapshots/$first"
    echo "  path trick DELETE /locks/../snapshots/${first:0:8}…: $code"
  fi
  for type in snapshots index keys data; do
    names=$(list $type)
    local n=0 codes=""
    for name in $names; do
      try "DELETE /$type/$name" -X DELETE "$URL/$type/$name"
      n=$((n + 1))
      codes+="$code"$'\n'
    done
    listed=$((listed + n))
    if [ $n -eq 0 ]; then
      echo "  /$type/: none listed"
    else
      echo "  DELETE /$type/ID: $n files; answered $(printf '%s' "$codes" | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')"
    fi
  done
  try "DELETE /config" -X DELETE "$URL/config"
  echo "  DELETE /config: $code"
  echo "  /locks/: $(list locks | grep -c . || true) listed, left alone (deleting locks is allowed even under --append-only)"
  if [ $accepted -gt 0 ]; then
    echo "ATTACK SUCCEEDED: $accepted of $((accepted + refused)) requests accepted (each in $log)"
    exit 0
  fi
  echo "attack refused: all $refused requests refused (each in $log)"
  exit 1
}

lose() {
  load
  rm -rf "${DIR:?}/data"
  echo "primary data lost: $DIR/data removed"
}

restore() {
  load
  [ $# -ge 1 ] && [ -n "$1" ] || die "usage: $0 restore DIR SNAPSHOT|latest"
  require_server
  local snapshot=$1
  rm -rf "${DIR:?}/.restoring"
  restic restore "$snapshot" --target "$DIR/.restoring" --verify || { rm -rf "${DIR:?}/.restoring"; die "restore of $snapshot failed"; }
  rm -rf "${DIR:?}/data"
  mv "$DIR/.restoring" "$DIR/data"
  echo "restored snapshot $snapshot into $DIR/data ($(find "$DIR/data" -type f | wc -l) files)"
}

verify() {
  load
  [ -f "$DIR/manifest.sha256" ] || die "no manifest in $DIR/manifest.sha256"
  local have
  if [ -d "$DIR/data" ]; then
    have=$(cd "$DIR/data" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum)
  else
    echo "no $DIR/data at all" >&2
    have=""
  fi
  # sha256sum lines: 64 hex digits, two spaces, the path.
  printf '%s\n' "$have" | awk -v manifest="$DIR/manifest.sha256" -v sorted="LC_ALL=C sort >&2" '
    BEGIN { while ((getline line < manifest) > 0) { want[substr(line, 67)] = substr(line, 1, 64); files++ } }
    length($0) > 66 { got[substr($0, 67)] = substr($0, 1, 64) }
    END {
      for (p in want) {
        if (!(p in got)) { print "missing: " p | sorted; missing++ }
        else if (got[p] != want[p]) { print "differs: " p | sorted; mismatched++ }
      }
      for (p in got) if (!(p in want)) { print "extra: " p | sorted; extra++ }
      close(sorted)
      printf "{\"files\": %d, \"mismatched\": %d, \"missing\": %d, \"extra\": %d}\n", files, mismatched, missing, extra
      exit (mismatched + missing + extra > 0)
    }'
}

down() {
  [ -d "$DIR" ] || return 0
  [ -f "$DIR/lab.env" ] || [ -z "$(ls -A "$DIR")" ] || die "$DIR holds no lab.env: not removing it"
  if alive "$DIR/server.pid"; then kill -KILL "$(cat "$DIR/server.pid")" 2>/dev/null || true; fi
  rm -rf "${DIR:?}"
  echo "lab in $DIR removed"
}

status() {
  load
  if alive "$DIR/server.pid"; then
    echo "server: running, pid $(cat "$DIR/server.pid"), $URL, $MODE"
    echo "snapshots: $(count_snapshots 2>/dev/null || echo "unreadable")"
  else
    echo "server: not running ($MODE, port $PORT)"
  fi
  if [ -d "$DIR/data" ]; then echo "data: $(find "$DIR/data" -type f | wc -l) files in $DIR/data"; else echo "data: none (lost)"; fi
}

command=${1:-}
usage="usage: $0 check | up DIR PORT [append-only|open] | snapshots|backup|check-repo|attack-forget|attack-delete|lose|restore|verify|down|status DIR ..."
[ -n "$command" ] || die "$usage"
if [ "$command" = check ]; then check; exit; fi
[ $# -ge 2 ] || die "usage: $0 $command DIR ..."
DIR=$2
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
case "$command" in
  up) shift; up "$@" ;;
  snapshots) snapshots ;;
  backup) backup ;;
  check-repo) check_repo ;;
  attack-forget) attack_forget "${3:-15}" ;;
  attack-delete) attack_delete ;;
  lose) lose ;;
  restore) restore "${3:-}" ;;
  verify) verify ;;
  down) down ;;
  status) status ;;
  *) die "unknown command '$command'" ;;
esac
