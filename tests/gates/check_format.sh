#!/usr/bin/env bash
# Every C source and header is formatted by the repository's .clang-format
# (STYLE.md 2.13): clang-format 14 --dry-run --Werror. All the folders were
# clean when this gate was added, so all of them are checked.
set -euo pipefail
root=$1
cf=$(command -v clang-format-14 || true)
if [ -z "$cf" ]; then
  echo "clang-format-14 not found (scripts/deps.sh installs it)"; exit 1
fi
cd "$root"
mapfile -t files < <(find libpedia include pediad examples tests bench \
                       -name '*.[ch]' -type f | sort)
if ! "$cf" --dry-run --Werror --style=file "${files[@]}"; then
  echo "clang-format: the files above need formatting:" \
       "clang-format-14 -i <file> (config: .clang-format)"
  exit 1
fi
echo "clang-format: ${#files[@]} files clean"
