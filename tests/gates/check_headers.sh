#!/usr/bin/env bash
# Every public header compiles on its own as C99 and as C++ with
# -Wall -Wextra -pedantic -Werror (STYLE.md 2.2).
set -euo pipefail
inc=$1 geninc=$2
fail=0
for h in $(cd "$inc" && find pedia -name '*.h' | sort); do
  for lang in "c -std=c99" "c++ -std=c++11"; do
    set -- $lang
    comp=gcc; [ "$1" = "c++" ] && comp=g++
    if ! echo "#include <$h>" | $comp -x "$1" "$2" -Wall -Wextra -pedantic -Werror \
         -I"$inc" -I"$geninc" -fsyntax-only - 2>/tmp/pedia-hdr.err; then
      echo "FAIL $h ($1)"; cat /tmp/pedia-hdr.err; fail=1
    fi
  done
done
[ $fail -eq 0 ] && echo "all public headers compile standalone as C99 and C++"
exit $fail
