#!/usr/bin/env bash
# The alert-pipeline lab: a Prometheus (Debian's package) that scrapes the sample service every
# second and evaluates a rule file every second, and an Alertmanager (Debian's package) it sends
# its alerts to, which routes them by severity to two webhook receivers: critical to `oncall-p1`,
# warning to `oncall-p2`; the Watchdog (severity none) to `heartbeat`, which notifies nobody.
# On 127.0.0.1 only, no root. The sample service itself is the scenario's to start and kill.
#
#   alert-pipeline.sh check
#   alert-pipeline.sh up DIR PROM_PORT AM_PORT APP_PORT WEBHOOK_P1_URL WEBHOOK_P2_URL [FOR]
#   alert-pipeline.sh down|status DIR
#
# FOR (default 2s) is how long `up{job="app"} == 0` must hold before SampleServiceDown fires.
# Nothing need listen at the webhook URLs: Alertmanager then logs its failed deliveries and
# retries them, which is harmless. Everything lives in DIR: the configurations, the rule file,
# the data, the pidfiles and logs. Every subcommand can be run again; `down` leaves nothing.
set -euo pipefail

# shellcheck source=lab-common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lab-common.sh"

die() { echo "alert-pipeline: $*" >&2; exit 1; }

# Debian names Alertmanager's binary prometheus-alertmanager; upstream's tarball, alertmanager.
alertmanager_bin() { command -v prometheus-alertmanager || command -v alertmanager; }

check() {
  local missing=0
  command -v prometheus >/dev/null || { echo "prometheus is not installed (apt-get install prometheus)"; missing=1; }
  command -v promtool >/dev/null || { echo "promtool is not installed (apt-get install prometheus)"; missing=1; }
  alertmanager_bin >/dev/null || { echo "alertmanager is not installed (apt-get install prometheus-alertmanager)"; missing=1; }
  command -v amtool >/dev/null || { echo "amtool is not installed (apt-get install prometheus-alertmanager)"; missing=1; }
  command -v curl >/dev/null || { echo "curl is not installed (apt-get install curl)"; missing=1; }
  return $missing
}

alive() { [ -f "$1" ] && pid_alive "$(cat "$1")"; }

stop_pidfile() {
  if alive "$1"; then
    kill -TERM "$(cat "$1")" 2>/dev/null || true
    local waited=0
    while alive "$1" && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    if alive "$1"; then kill -KILL "$(cat "$1")" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

# Starts NAME (its pidfile and log in DIR) unless it runs, and waits until URL answers.
start_daemon() {
  local name=$1 url=$2
  shift 2
  if ! alive "$DIR/$name.pid"; then
    # setsid: its own process group, as a server's processes are not the drill's.
    setsid "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
  fi
  local waited=0
  until curl -fsS -m 1 "$url" >/dev/null 2>&1; do
    if ! alive "$DIR/$name.pid"; then
      tail -n 5 "$DIR/$name.log" >&2
      die "$name exited; its log's end is above, the whole of it in $DIR/$name.log"
    fi
    waited=$((waited + 1))
    [ $waited -le 600 ] || die "$name not ready after 60s; see $DIR/$name.log"
    sleep 0.1
  done
}

up() {
  [ $# -ge 6 ] || die "usage: $0 up DIR PROM_PORT AM_PORT APP_PORT WEBHOOK_P1_URL WEBHOOK_P2_URL [FOR]"
  local prom_port=$2 am_port=$3 app_port=$4 p1=$5 p2=$6 for=${7:-2s}
  check >&2 || die "missing what the lab needs"
  [ -f "$DIR/lab.env" ] && down
  mkdir -p "$DIR/prometheus-data" "$DIR/alertmanager-data"
  cat >"$DIR/lab.env" <<EOF
PROM_PORT=$prom_port
AM_PORT=$am_port
APP_PORT=$app_port
FOR=$for
EOF

  # group_wait 0s: a new alert is notified at once; group_interval 1s: a change in a group (a
  # resolution) a second later; repeat_interval long: the drill sees each page once.
  cat >"$DIR/alertmanager.yml" <<EOF
route:
  receiver: heartbeat
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
  routes:
    - {matchers: ['severity="critical"'], receiver: oncall-p1}
    - {matchers: ['severity="warning"'], receiver: oncall-p2}
receivers:
  - name: oncall-p1
    webhook_configs: [{url: "$p1", send_resolved: true}]
  - name: oncall-p2
    webhook_configs: [{url: "$p2", send_resolved: true}]
  # The Watchdog's: a dead man's switch service would be told here; in the lab, nobody.
  - name: heartbeat
EOF
  amtool check-config "$DIR/alertmanager.yml" >/dev/null || die "amtool refuses $DIR/alertmanager.yml"
  # The routing tree sends each severity where the lab says it does.
  local severity receiver got
  for pair in critical:oncall-p1 warning:oncall-p2 none:heartbeat; do
    severity=${pair%%:*} receiver=${pair#*:}
    # (amtool warns that --config.file overrides the URL it never needed here.)
    got=$(amtool config routes test --config.file="$DIR/alertmanager.yml" "severity=$severity" 2>/dev/null) || true
    [ "$got" = "$receiver" ] || die "severity=$severity routes to '$got', not $receiver"
  done

  cat >"$DIR/rules.yml" <<EOF
groups:
  - name: sample-service
    rules:
      # P1: the service is down. Wakes the on-call engineer.
      - alert: SampleServiceDown
        expr: up{job="app"} == 0
        for: $for
        labels: {severity: critical}
        annotations:
          summary: "The sample service on {{ \$labels.instance }} does not answer Prometheus's scrapes"
      # P2: the service went down and came back at least once in the last 2 minutes; someone
      # should look at why, in working hours. Fires once the service is back after an outage.
      - alert: SampleServiceFlapping
        expr: changes(up{job="app"}[2m]) >= 2
        labels: {severity: warning}
        annotations:
          summary: "The sample service on {{ \$labels.instance }} was down and came back in the last 2 minutes"
  - name: meta
    rules:
      # The dead man's switch: always firing, so its absence says the alerting itself is broken.
      - alert: Watchdog
        expr: vector(1)
        labels: {severity: none}
        annotations:
          summary: "The alerting pipeline works: Prometheus evaluates its rules and Alertmanager hears of them"
EOF
  promtool check rules "$DIR/rules.yml" >/dev/null || die "promtool refuses $DIR/rules.yml"

  cat >"$DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ["$DIR/rules.yml"]
alerting:
  alertmanagers:
    - api_version: v2
      static_configs: [{targets: ["127.0.0.1:$am_port"]}]
scrape_configs:
  - job_name: app
    static_configs: [{targets: ["127.0.0.1:$app_port"]}]
EOF
  promtool check config "$DIR/prometheus.yml" >/dev/null || die "promtool refuses $DIR/prometheus.yml"

  start_daemon alertmanager "http://127.0.0.1:$am_port/-/ready" "$(alertmanager_bin)" \
    --config.file="$DIR/alertmanager.yml" --storage.path="$DIR/alertmanager-data" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address=
  # resend-delay 1s (default 1m): Prometheus finds its Alertmanager some seconds after it starts,
  # and drops what it fired before that (the Watchdog) until it sends it again. Resent every
  # second, a firing alert's endsAt is 4 s ahead, so an alert Prometheus stops sending (it died)
  # leaves Alertmanager within seconds.
  start_daemon prometheus "http://127.0.0.1:$prom_port/-/ready" prometheus \
    --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/prometheus-data" \
    --web.listen-address="127.0.0.1:$prom_port" --rules.alert.resend-delay=1s
  echo "alertmanager pid $(cat "$DIR/alertmanager.pid") on http://127.0.0.1:$am_port (oncall-p1 $p1, oncall-p2 $p2);" \
    "prometheus pid $(cat "$DIR/prometheus.pid") on http://127.0.0.1:$prom_port scraping 127.0.0.1:$app_port; SampleServiceDown for $for"
}

down() {
  [ -d "$DIR" ] || return 0
  stop_pidfile "$DIR/prometheus.pid"
  stop_pidfile "$DIR/alertmanager.pid"
  rm -rf "${DIR:?}"
  echo "lab in $DIR removed"
}

status() {
  [ -f "$DIR/lab.env" ] || die "no lab in $DIR"
  # shellcheck disable=SC1091
  . "$DIR/lab.env"
  local name
  for name in alertmanager prometheus; do
    echo "$name: $(alive "$DIR/$name.pid" && echo "running, pid $(cat "$DIR/$name.pid")" || echo "not running")"
  done
  echo "SampleServiceDown for $FOR; firing now:"
  amtool alert query --alertmanager.url="http://127.0.0.1:$AM_PORT" 2>&1 || true
}

command=${1:-}
usage="check | up DIR PROM_PORT AM_PORT APP_PORT WEBHOOK_P1_URL WEBHOOK_P2_URL [FOR] | down|status DIR"
[ -n "$command" ] || die "usage: $0 $usage"
if [ "$command" = check ]; then check; exit; fi
[ $# -ge 2 ] || die "usage: $0 $usage"
DIR=$2
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
case "$command" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  *) die "unknown command '$command'" ;;
esac
