#!/usr/bin/env bash
# The proof, by hand, that recovery-window.sh does what lab 3 needs (not run by CI; for people).
# On a fresh lab directory in /tmp, twice over:
#   1. RETENTION_FULL=2: up; `info` lists exactly the two newest of the three backups with the
#      fields a drill's inventory reads; canary rows 1..N written every 250 ms for 4 s while WAL
#      is archived; kill; wipe; restore the oldest listed backup: exactly the batches that existed
#      when it was taken, and no canary row; kill; wipe; restore latest: batches 1..3 and the
#      canary up to the last archived commit (rows lost reported; every row written more than
#      MAX_LOSS seconds before the kill must be there, and no row may be missing below the
#      highest), and the newest surviving row's commit timestamp is before the kill; then an
#      exact restore of the newest backup (no canary) and latest again (the same canary: the
#      exact restore's timeline is a side branch, not followed); down.
#   2. RETENTION_FULL=3: up; three backups listed; restore the oldest (batch 1 only); down.
#
#   recovery-window-selftest.sh [PORT]
#     env MAX_LOSS (seconds, default 1.5), FIXTURES_DIR (save both `info` outputs there as
#     pgbackrest-info.json and pgbackrest-info-three.json)
set -euo pipefail

HERE=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/recovery-window.sh
MAX_LOSS=${MAX_LOSS:-1.5}
PORT=${1:-$(python3 - <<'PY'
import random, socket
for _ in range(500):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
PY
)}

fail() { echo "selftest: FAIL: $*" >&2; exit 1; }
ns() { date +%s%N; }
secs() { local d=$(( $2 - $1 )); printf '%d.%02d s' $((d / 1000000000)) $(( (d % 1000000000) / 10000000 )); }
lab() { "$LAB" "$1" "$DIR" "${@:2}"; }
q() { lab psql "$1"; }

DIR=
cleanup() { if [ -n "$DIR" ]; then "$LAB" down "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; fi; }
trap cleanup EXIT
trap 'echo "selftest: FAIL: a command failed at line $LINENO" >&2' ERR

# Batches present, as "1:100 2:100".
batches() { q "select coalesce(string_agg(batch || ':' || c, ' ' order by batch), '') from (select batch, count(*) c from batch_rows group by batch) b"; }
expect_batches() {  # up to batch $1, ROWS each
  local want="" k got
  for k in $(seq 1 "$1"); do want="$want${want:+ }$k:100"; done
  got=$(batches)
  [ "$got" = "$want" ] || fail "batches '$got', expected '$want'"
  echo "  batches: $got (as expected)"
}

# The inventory: exactly $1 backups, each with the fields a drill reads; prints them trimmed.
check_info() {
  python3 - "$1" "$2" "$DIR/truth.tsv" <<'PY'
import json, sys, time
want, path, truth = int(sys.argv[1]), sys.argv[2], sys.argv[3]
stanzas = json.load(open(path))
assert len(stanzas) == 1 and stanzas[0]["name"] == "main", "one stanza, main"
st = stanzas[0]
assert st["status"]["code"] == 0, st["status"]
backups = st["backup"]
assert len(backups) == want, "%d backups listed, expected %d" % (len(backups), want)
labels = [line.split("\t")[0] for line in open(truth).read().splitlines()[1:]]
assert [b["label"] for b in backups] == labels[-want:], "the newest %d of %s" % (want, labels)
now = time.time()
for b in backups:
    assert b["type"] == "full" and b["error"] is False
    assert isinstance(b["info"]["size"], int) and b["info"]["size"] > 0
    start, stop = b["timestamp"]["start"], b["timestamp"]["stop"]
    assert isinstance(start, int) and start <= stop
    print("  %s type=%s error=%s size=%d repo=%d start=%d stop=%d (stopped %.1f s ago) wal=%s..%s lsn=%s..%s"
          % (b["label"], b["type"], b["error"], b["info"]["size"], b["info"]["repository"]["size"], start, stop,
             now - stop, b["archive"]["start"], b["archive"]["stop"], b["lsn"]["start"], b["lsn"]["stop"]))
print("  archive: %s" % json.dumps(st["archive"]))
PY
}

retention_two() {
  local t0 t1 oldest batch seq n=0 tick start wrote_file kill_ns max total lost missing late commit_ok
  DIR=$(mktemp -d /tmp/recovery-window-selftest.XXXXXX)
  echo "== RETENTION_FULL=2 in $DIR, port $PORT"
  t0=$(ns); lab up "$PORT" 2; t1=$(ns); echo "  up took $(secs "$t0" "$t1")"
  lab info >"$DIR/info.json"
  check_info 2 "$DIR/info.json" || fail "the inventory"
  if [ -n "${FIXTURES_DIR:-}" ]; then cp "$DIR/info.json" "$FIXTURES_DIR/pgbackrest-info.json"; fi

  # The canary: one row every 250 ms for 4 s; the time each write returned, by seq.
  wrote_file=$DIR/wrote.tsv; : >"$wrote_file"
  start=$(ns)
  for seq in $(seq 1 16); do
    tick=$((start + (seq - 1) * 250000000 - $(ns)))
    if [ $tick -gt 0 ]; then sleep "0.$(printf '%09d' "$tick")"; fi
    lab write "$seq"
    printf '%s\t%s\n' "$seq" "$(ns)" >>"$wrote_file"
    n=$seq
  done
  kill_ns=$(ns)
  lab kill
  lab wipe

  oldest=$(lab backups | head -n 1 | cut -f1)
  batch=$(awk -F'\t' -v l="$oldest" '$1 == l {print $2}' "$DIR/truth.tsv")
  t0=$(ns); lab restore "$oldest"; t1=$(ns); echo "  restore of the oldest backup $oldest took $(secs "$t0" "$t1")"
  expect_batches "$batch"
  [ "$(q 'select count(*) from canary')" = 0 ] || fail "canary rows after restoring $oldest"
  echo "  canary rows: none (as expected: all came after the backup)"

  lab kill
  lab wipe
  t0=$(ns); lab restore latest; t1=$(ns); echo "  restore latest took $(secs "$t0" "$t1")"
  expect_batches 3
  max=$(lab read); total=$(q 'select count(*) from canary')
  [ "$total" = "$max" ] || fail "$total canary rows for a highest seq of $max: some missing below it"
  lost=$((n - max))
  # Every row written more than MAX_LOSS s before the kill is back.
  late=$(awk -F'\t' -v k="$kill_ns" -v m="$MAX_LOSS" '$2 < k - m * 1e9 {s = $1} END {print s + 0}' "$wrote_file")
  [ "$max" -ge "$late" ] || fail "canary back to $max only; rows up to $late were written more than ${MAX_LOSS}s before the kill"
  commit_ok=$(q "select pg_xact_commit_timestamp(xmin) < to_timestamp($kill_ns / 1e9) from canary where seq = $max")
  [ "$max" = 0 ] || [ "$commit_ok" = t ] || fail "the newest canary row's commit timestamp is not before the kill"
  echo "  canary: $max of $n rows back, $lost lost; the newest back committed at" \
    "$(q "select pg_xact_commit_timestamp(xmin) from canary where seq = $max"), the kill at" \
    "$(date -u -d "@$((kill_ns / 1000000000)).$(printf '%09d' $((kill_ns % 1000000000)))" '+%F %T.%6N+00')" \
    "($(q "select round(extract(epoch from to_timestamp($kill_ns / 1e9) - pg_xact_commit_timestamp(xmin)) * 1000) from canary where seq = $max") ms earlier)"
  # Side branches are not followed: an exact restore of the newest backup, then latest again.
  local newest
  newest=$(lab backups | tail -n 1 | cut -f1)
  lab kill
  t0=$(ns); lab restore "$newest"; t1=$(ns); echo "  restore of the newest backup $newest took $(secs "$t0" "$t1")"
  expect_batches 3
  [ "$(q 'select count(*) from canary')" = 0 ] || fail "canary rows after restoring $newest"
  lab kill
  t0=$(ns); lab restore latest; t1=$(ns); echo "  restore latest again took $(secs "$t0" "$t1")"
  [ "$(lab read)" = "$max" ] || fail "canary back to $(lab read) after the second restore latest, $max after the first"
  echo "  canary: back to $max again"
  lab status | sed 's/^/  /'
  lab down
  DIR=
}

retention_three() {
  local t0 t1 oldest
  DIR=$(mktemp -d /tmp/recovery-window-selftest.XXXXXX)
  echo "== RETENTION_FULL=3 in $DIR, port $PORT"
  t0=$(ns); lab up "$PORT" 3; t1=$(ns); echo "  up took $(secs "$t0" "$t1")"
  lab info >"$DIR/info.json"
  check_info 3 "$DIR/info.json" || fail "the inventory"
  if [ -n "${FIXTURES_DIR:-}" ]; then cp "$DIR/info.json" "$FIXTURES_DIR/pgbackrest-info-three.json"; fi
  lab kill
  lab wipe
  oldest=$(lab backups | head -n 1 | cut -f1)
  t0=$(ns); lab restore "$oldest"; t1=$(ns); echo "  restore of the oldest backup $oldest took $(secs "$t0" "$t1")"
  expect_batches 1
  lab down
  DIR=
}

"$LAB" check || fail "the lab cannot run here"
all0=$(ns)
retention_two
retention_three
echo "selftest: PASS in $(secs "$all0" "$(ns)")"
