#!/usr/bin/env bash
# Runs the local monitoring stack without Docker, in the foreground (Ctrl+C stops both):
#
#   bash temporal-dev/start-monitoring.sh
#
# - Prometheus (Debian: apt-get install prometheus) on http://127.0.0.1:9090 with
#   prometheus/prometheus.local.yml: scrapes the worker (localhost:9464), the dev server's own
#   metrics (localhost:7234, as start-dev-server.sh starts it) and itself every 15 s, with the alert
#   rules in prometheus/rules loaded (Alerts page: http://127.0.0.1:9090/alerts); its data in
#   temporal-dev/data/prometheus (git-ignored).
# - Jaeger v2 (bash eng/install-tools.sh puts it in .tools/bin) taking OTLP on 127.0.0.1:4317 (gRPC)
#   and 4318 (HTTP), its query API on http://127.0.0.1:16686. Send the worker's traces there with
#   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 task worker
#
# Safe to re-run: a service whose port is already taken is left alone (it is most likely running
# already). When either process stops, the other is stopped too. Overrides: PROMETHEUS_PATH,
# JAEGER_PATH (the binaries).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
ip=127.0.0.1

say() { printf 'start-monitoring: %s\n' "$*"; }
listening() { (exec 3<>"/dev/tcp/$ip/$1") 2>/dev/null; }

prometheus="${PROMETHEUS_PATH:-$(command -v prometheus || true)}"
jaeger="${JAEGER_PATH:-$(command -v jaeger || echo "$repo/.tools/bin/jaeger")}"

start_prometheus=true
if listening 9090; then
  say "something already listens on $ip:9090 (Prometheus running?); not starting another Prometheus."
  start_prometheus=false
elif [[ ! -x "$prometheus" ]]; then
  say "prometheus was not found: apt-get install prometheus (Debian/Ubuntu), or set PROMETHEUS_PATH." >&2
  exit 1
fi

start_jaeger=true
if listening 4317; then
  say "something already listens on $ip:4317 (an OTLP receiver running?); not starting Jaeger."
  start_jaeger=false
elif [[ ! -x "$jaeger" ]]; then
  say "jaeger was not found ($jaeger): run bash eng/install-tools.sh, or set JAEGER_PATH." >&2
  exit 1
fi

pids=()
stop() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

if $start_prometheus; then
  mkdir -p "$repo/temporal-dev/data/prometheus"
  say "Prometheus: http://$ip:9090 (targets: /targets, alerts: /alerts), rules from temporal-dev/prometheus/rules"
  "$prometheus" \
    --config.file="$here/prometheus/prometheus.local.yml" \
    --storage.tsdb.path="$repo/temporal-dev/data/prometheus" \
    --web.listen-address="$ip:9090" &
  pids+=("$!")
fi

if $start_jaeger; then
  # Jaeger's defaults put its query API and UI on every interface: keep them on loopback like the rest.
  # It also traces itself into its own OTLP port, which makes it wait ~10 s on shutdown for a receiver
  # that is already gone: its own traces are off.
  say "Jaeger: OTLP $ip:4317 (gRPC) and $ip:4318 (HTTP), API http://$ip:16686"
  "$jaeger" \
    --set=extensions.jaeger_query.http.endpoint="$ip:16686" \
    --set=extensions.jaeger_query.grpc.endpoint="$ip:16685" \
    --set=service.telemetry.logs.level=warn \
    --set=service.telemetry.traces.level=none &
  pids+=("$!")
fi

if ((${#pids[@]} == 0)); then
  say "nothing to start."
  exit 0
fi

say "Ctrl+C stops them."
status=0
wait -n "${pids[@]}" || status=$?
say "a monitoring process stopped (exit $status); stopping the rest."
exit "$status"
