#!/usr/bin/env bash
# Every line of C# in the repository is at most 120 characters (house style); prints the ones that are not.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find src tests bench -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
  | xargs -0 awk 'length > 120 { print FILENAME ":" FNR ": " length " characters"; bad = 1 } END { exit bad }'
echo "check-line-length: every C# line within 120 characters"
