#!/usr/bin/env bash
# Test of the banned-functions and format gates (check_banned.py,
# check_format.sh), as check_layers_selftest.sh is of the layering gate: on
# a copy of the sources each must pass unmodified and fail, naming the
# planted file, on a planted violation.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fresh() {
  rm -rf "$tmp/root"
  mkdir -p "$tmp/root"
  cp -r "$src/libpedia" "$tmp/root/libpedia"
  cp "$src/.clang-format" "$tmp/root/"
  # the format gate walks these folders; empty ones are enough here
  mkdir -p "$tmp/root/include" "$tmp/root/pediad" "$tmp/root/examples" \
           "$tmp/root/tests" "$tmp/root/bench"
}

# run <what> <expect: pass|fail> <planted file or -> <command...>
run() {
  local what=$1 want=$2 file=$3
  shift 3
  if "$@" >"$tmp/out" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" != "$want" ]; then
    echo "FAIL $what: the gate did $got"; cat "$tmp/out"; fails=$((fails + 1))
  elif [ "$want" = fail ] && ! grep -q "$file" "$tmp/out"; then
    echo "FAIL $what: the gate failed without naming $file"; cat "$tmp/out"
    fails=$((fails + 1))
  else
    echo "ok   $what"
  fi
}

banned() { /usr/bin/python3 "$src/tests/gates/check_banned.py" "$tmp/root"; }
format() { bash "$src/tests/gates/check_format.sh" "$tmp/root"; }

fresh
run "banned: unmodified copy passes" pass - banned
run "format: unmodified copy passes" pass - format

fresh
cat >>"$tmp/root/libpedia/util/util_str.c" <<'C'

void pdi_planted(char *d, const char *s);

void
pdi_planted(char *d, const char *s)
{
    strcpy(d, s);
}
C
run "banned: a planted strcpy" fail libpedia/util/util_str.c banned

fresh
printf 'static int planted(void) { return 1; }\n' \
  >>"$tmp/root/libpedia/util/util_str.c"
run "format: a one-line function" fail libpedia/util/util_str.c format

[ $fails -eq 0 ] && echo "banned and format gates selftest: all cases behave"
exit $fails
