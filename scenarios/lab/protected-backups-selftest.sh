#!/usr/bin/env bash
# The protected-backups lab, end to end, for people (CI does not run it): each round brings up
# three labs in fresh directories under /tmp and times every step.
#
#   append-only: up; snapshots (3, their JSON's fields); attack-forget refused (3 left, no lock
#                left behind); attack-delete refused (every answer 403, the path trick 301);
#                check-repo passes; a backup still works; lose; verify fails; restore by the
#                newest ID and by `latest`; verify passes; down leaves nothing.
#   open:        attack-forget succeeds (0 snapshots); lose; restore fails; verify fails.
#   open:        attack-delete succeeds (the repository cannot be read); lose; restore fails.
#
#   protected-backups-selftest.sh [ROUNDS] [--fixture FILE]
#
# --fixture FILE: the first round's `snapshots` JSON (3 snapshots) is written to FILE (the Swift
# tests' Tests/FiredrillCoreTests/Fixtures/restic-snapshots.json came from here). PORT (default
# 18750) and the two after it are used. Needs jq besides what the lab needs.
set -euo pipefail

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
LAB=$here/protected-backups.sh
PORT=${PORT:-18750}
rounds=1 fixture=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fixture) fixture=$2; shift 2 ;;
    *) rounds=$1; shift ;;
  esac
done

die() { echo "protected-backups-selftest: FAILED: $*" >&2; exit 1; }
command -v jq >/dev/null || die "jq is not installed (apt-get install jq)"
"$LAB" check >&2 || die "the lab's tools are missing"

dirs=()
cleanup() { local d; for d in "${dirs[@]}"; do "$LAB" down "$d" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

new_dir() { DIR=$(mktemp -d /tmp/protected-backups-selftest.XXXXXX); dirs+=("$DIR"); }

ms() { echo $(($(date +%s%N) / 1000000)); }

# step WANT NAME COMMAND...: COMMAND must exit with WANT (0, 1, ...); its output goes to
# $out_file, its time is printed.
step() {
  local want=$1 name=$2 start rc=0
  shift 2
  start=$(ms)
  "$@" >"$out_file" 2>"$err_file" || rc=$?
  printf '  %6d ms  %-44s exit %d\n' $(($(ms) - start)) "$name" $rc
  if [ $rc -ne "$want" ]; then
    sed 's/^/    | /' "$out_file" "$err_file" >&2
    die "$name exited $rc, not $want"
  fi
}

snapshot_count() { "$LAB" snapshots "$DIR" | jq length; }

out_file=$(mktemp) err_file=$(mktemp)
trap 'cleanup; rm -f "$out_file" "$err_file"' EXIT

# RFC 3339 as Go writes it (RFC3339Nano): trailing zeros of the fraction dropped, no fraction
# if it is zero, Z or an offset.
time_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$'

append_only_round() {
  local round=$1 json newest
  new_dir
  echo "append-only lab in $DIR (port $PORT)"
  step 0 "up $PORT append-only" "$LAB" up "$DIR" "$PORT" append-only
  step 0 "snapshots" "$LAB" snapshots "$DIR"
  json=$(cat "$out_file")
  [ "$(jq length <<<"$json")" = 3 ] || die "not 3 snapshots: $json"
  jq -e --arg re "$time_re" 'all(.[]; (.time | test($re)) and (.id | test("^[0-9a-f]{64}$"))
      and (.short_id == .id[0:8]) and (.tree | test("^[0-9a-f]{64}$")) and (.paths | length == 1)
      and .hostname == "firedrill-lab" and (.username | type == "string") and .tags == ["protected-backups"])
      and (.[0] | has("parent") | not) and .[1].parent == .[0].id and .[2].parent == .[1].id
      and (map(.time) == (map(.time) | sort))' <<<"$json" >/dev/null || die "unexpected snapshot JSON: $json"
  if [ "$round" = 1 ] && [ -n "$fixture" ]; then
    mkdir -p "$(dirname -- "$fixture")"
    printf '%s\n' "$json" >"$fixture"
    echo "  (fixture written to $fixture)"
  fi
  newest=$(jq -r '.[-1].id' <<<"$json")

  step 1 "attack-forget (refused)" "$LAB" attack-forget "$DIR"
  grep -q '403 Forbidden' "$DIR/attack-forget.log" || die "restic did not report 403"
  [ "$(snapshot_count)" = 3 ] || die "snapshots gone after attack-forget"
  [ -z "$(ls -A "$DIR/server-disk/locks")" ] || die "attack-forget left a lock: $(ls "$DIR/server-disk/locks")"
  step 1 "attack-delete (refused)" "$LAB" attack-delete "$DIR"
  grep -v ' -> 403$' "$DIR/attack-delete.log" | grep -v '^DELETE /locks/\.\./snapshots/.* -> 301$' \
    && die "an answer other than 403 (or 301 for the path trick), above"
  [ "$(snapshot_count)" = 3 ] || die "snapshots gone after attack-delete"
  step 0 "check-repo" "$LAB" check-repo "$DIR"
  grep -q 'no errors were found' "$out_file" || die "restic check did not say 'no errors were found'"
  step 0 "backup (append-only still takes one)" "$LAB" backup "$DIR"
  [ "$(snapshot_count)" = 4 ] || die "not 4 snapshots after a backup"
  newest=$("$LAB" snapshots "$DIR" | jq -r '.[-1].id')

  step 0 "lose" "$LAB" lose "$DIR"
  step 1 "verify (data lost: fails)" "$LAB" verify "$DIR"
  grep -qx '{"files": 51, "mismatched": 0, "missing": 51, "extra": 0}' "$out_file" || die "verify said $(cat "$out_file")"
  step 0 "restore ${newest:0:8} (the newest)" "$LAB" restore "$DIR" "$newest"
  step 0 "verify" "$LAB" verify "$DIR"
  grep -qx '{"files": 51, "mismatched": 0, "missing": 0, "extra": 0}' "$out_file" || die "verify said $(cat "$out_file")"
  step 0 "lose" "$LAB" lose "$DIR"
  step 0 "restore latest" "$LAB" restore "$DIR" latest
  step 0 "verify" "$LAB" verify "$DIR"
  echo x >>"$DIR/data/file-01.bin"
  step 1 "verify (one file changed: fails)" "$LAB" verify "$DIR"
  grep -qx '{"files": 51, "mismatched": 1, "missing": 0, "extra": 0}' "$out_file" || die "verify said $(cat "$out_file")"
  local pid
  pid=$(cat "$DIR/server.pid")
  step 0 "down" "$LAB" down "$DIR"
  [ ! -e "$DIR" ] || die "$DIR still there after down"
  # Killed, perhaps not yet reaped: a zombie is not running.
  case "$(ps -o stat= -p "$pid" 2>/dev/null || true)" in ''|Z*) ;; *) die "server pid $pid still running after down" ;; esac
}

open_forget_round() {
  new_dir
  echo "open lab in $DIR (port $((PORT + 1))): attack-forget"
  step 0 "up $((PORT + 1)) open" "$LAB" up "$DIR" $((PORT + 1)) open
  step 0 "attack-forget (succeeds)" "$LAB" attack-forget "$DIR"
  [ "$(snapshot_count)" = 0 ] || die "snapshots left after attack-forget on an open server"
  step 0 "lose" "$LAB" lose "$DIR"
  step 1 "restore latest (fails)" "$LAB" restore "$DIR" latest
  step 1 "verify (fails)" "$LAB" verify "$DIR"
  step 0 "down" "$LAB" down "$DIR"
}

open_delete_round() {
  new_dir
  echo "open lab in $DIR (port $((PORT + 2))): attack-delete"
  step 0 "up $((PORT + 2)) open" "$LAB" up "$DIR" $((PORT + 2)) open
  step 0 "attack-delete (succeeds)" "$LAB" attack-delete "$DIR"
  grep -q '^DELETE /snapshots/.* -> 200$' "$DIR/attack-delete.log" || die "no snapshot deleted"
  step 1 "snapshots (repository gone: fails)" "$LAB" snapshots "$DIR"
  step 0 "lose" "$LAB" lose "$DIR"
  step 1 "restore latest (fails)" "$LAB" restore "$DIR" latest
  step 0 "down" "$LAB" down "$DIR"
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds"
  start=$(ms)
  append_only_round "$round"
  open_forget_round
  open_delete_round
  echo "round $round passed in $(($(ms) - start)) ms"
done
echo "protected-backups-selftest: all $rounds rounds passed"
