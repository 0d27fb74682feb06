#!/usr/bin/env bash
# Validates the monitoring assets in temporal-dev/ offline (no Docker engine, no network):
#
#   bash temporal-dev/check.sh
#
# - promtool (Debian: prometheus): both Prometheus configs, the alert rules, their unit tests, and every
#   dashboard query parsed as PromQL (variables replaced the way check-assets.py says);
# - python3 (+ python3-yaml for the YAML checks): rule labels/annotations/for: and unit-test coverage,
#   dashboard structure, metric names listed in README-assets.md, Compose ports on 127.0.0.1;
# - docker-compose (Debian: docker-compose) or `docker compose`: the Compose file.
# A missing promtool fails; any other missing tool is skipped with a note, and fails too when CI=true.
# Exit status: 0 when everything checked passed, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failures=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ok() { printf 'check: ok    %s\n' "$*"; }
fail() {
  printf 'check: FAIL  %s\n' "$*" >&2
  failures=$((failures + 1))
}
missing() {
  if [[ "${CI:-}" == true ]]; then
    fail "$* (required when CI=true)"
  else
    printf 'check: skip  %s\n' "$*"
  fi
}
# run DESCRIPTION COMMAND...: prints the command's output, indented, only when it fails.
run() {
  local what="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    ok "$what"
  else
    fail "$what"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
  fi
}

# ---- Prometheus: configs, rules, unit tests, dashboard queries
if command -v promtool >/dev/null; then
  run "prometheus/prometheus.yml (Compose)" promtool check config "$here/prometheus/prometheus.yml"
  run "prometheus/prometheus.local.yml (host)" promtool check config "$here/prometheus/prometheus.local.yml"
  run "alert rules parse" promtool check rules "$here/prometheus/rules/watchtower-alerts.yml"
  run "alert rule unit tests" promtool test rules "$here"/prometheus/rules/tests/*.yml
else
  fail "promtool not found: apt-get install prometheus (it brings promtool)"
fi

# ---- Python structure checks
have_python=false
if command -v python3 >/dev/null; then
  have_python=true
else
  missing "python3 not found (apt-get install python3 python3-yaml): rule, dashboard and metric-list checks"
fi

# run_py DESCRIPTION SUBCOMMAND: exit 3 from check-assets.py means PyYAML is missing.
run_py() {
  local what="$1" out status
  out="$(python3 "$here/check-assets.py" "$2" 2>&1)"
  status=$?
  case "$status" in
    0) ok "$what" ;;
    3) missing "$what: $out" ;;
    *)
      fail "$what"
      printf '%s\n' "$out" | sed 's/^/    /' >&2
      ;;
  esac
}

if $have_python; then
  run_py "alert rules: severity, summary, runbook, for:, a firing and a quiet unit test each" rules
  run_py "dashboard JSON structure (uid, variables, panels, datasource, grid)" dashboard
  run_py "README-assets.md lists the metric names used and every dashboard query" metrics
  if command -v promtool >/dev/null; then
    if python3 "$here/check-assets.py" dashboard-rules >"$work/dashboard-queries.yml" 2>"$work/err"; then
      run "dashboard queries parse as PromQL" promtool check rules "$work/dashboard-queries.yml"
    else
      fail "could not extract the dashboard queries: $(cat "$work/err")"
    fi
  fi
elif command -v jq >/dev/null; then
  run "dashboard JSON parses (jq; python3 gives the full check)" \
    jq -e '.uid and .title and .schemaVersion and (.panels | length > 0)' "$here/grafana/dashboards/watchtower-worker.json"
fi

# ---- Compose file
compose=()
if command -v docker-compose >/dev/null; then
  compose=(docker-compose)
elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
fi
if ((${#compose[@]})); then
  run "docker-compose.yml (${compose[*]} config -q)" "${compose[@]}" -f "$here/docker-compose.yml" config -q
  if $have_python && "${compose[@]}" -f "$here/docker-compose.yml" config >"$work/compose.yml" 2>/dev/null; then
    run "docker-compose.yml publishes every port on 127.0.0.1 only" \
      sh -c 'python3 "$1" compose-ports <"$2"' _ "$here/check-assets.py" "$work/compose.yml"
  fi
else
  missing "docker-compose not found (apt-get install docker-compose): Compose file not validated"
fi

if ((failures)); then
  printf 'check: %d check(s) failed\n' "$failures" >&2
  exit 1
fi
printf 'check: all passed\n'
