#!/usr/bin/env bash
# The shared library exports exactly the symbols listed in docs/symbols.txt
# (a new public function must be added there on purpose; nothing internal
# may leak).
set -euo pipefail
lib=$1 list=$2
actual=$(nm -D --defined-only "$lib" | awk '$2=="T"||$2=="D"||$2=="B"{print $3}' | sort)
if ! diff -u "$list" <(echo "$actual"); then
  echo "export list differs from $list (- listed, + exported)"
  exit 1
fi
echo "exports match $list ($(echo "$actual" | wc -l) symbols)"
