#!/usr/bin/env bash
# Test of the layering gate (check_layers.py): on a copy of libpedia/ it must
# pass unmodified and fail, naming the planted file, on one planted violation
# of each kind.
set -euo pipefail
src=$1                                   # the repository root
gate=$src/tests/gates/check_layers.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fresh() {
  rm -rf "$tmp/root"
  mkdir -p "$tmp/root"
  cp -r "$src/libpedia" "$tmp/root/libpedia"
}

# expect_fail <what> <planted file>: the gate fails and names the file.
expect_fail() {
  if /usr/bin/python3 "$gate" "$tmp/root" >"$tmp/out" 2>&1; then
    echo "FAIL $1: the gate passed"; fails=$((fails + 1)); return
  fi
  if ! grep -q "^$2:[0-9]*: " "$tmp/out"; then
    echo "FAIL $1: the gate failed without naming $2:"; cat "$tmp/out"
    fails=$((fails + 1)); return
  fi
  echo "ok   $1: $(grep -m1 "^$2:" "$tmp/out")"
}

expect_pass() {
  if ! /usr/bin/python3 "$gate" "$tmp/root" >"$tmp/out" 2>&1; then
    echo "FAIL $1: the gate failed:"; cat "$tmp/out"; fails=$((fails + 1)); return
  fi
  echo "ok   $1"
}

# append <file> <text>: add lines at the end of a C file.
append() { printf '%s\n' "$2" >>"$tmp/root/$1"; }

fresh
expect_pass "unmodified copy passes"

# (a) util includes model: points up the order.
fresh
append libpedia/util/util_str.c '#include "model/model.h"'
expect_fail "upward include" libpedia/util/util_str.c

# (a) query includes store's private header (store itself is allowed).
fresh
append libpedia/query/query_api.c '#include "store/store_int.h"'
expect_fail "include of another module's _int.h" libpedia/query/query_api.c

# (b) model uses a function defined in store.
fresh
fn=$(grep -rhoE '^pdi_store_[a-z0-9_]+' "$tmp/root/libpedia/store" | head -1)
append libpedia/model/model_validate.c "
void pdi_model_planted(void);

void
pdi_model_planted(void)
{
    (void)&$fn;
}"
expect_fail "upward call ($fn from model)" libpedia/model/model_validate.c

# (c) families: search calls pedia (siblings), search -> core is fine.
fresh
api=$tmp/root/libpedia/apiserver
mkdir -p "$api/core" "$api/search" "$api/pedia"
printf 'void pdi_api_fake_core(void);\n\nvoid\npdi_api_fake_core(void)\n{\n}\n' \
  >"$api/core/core_fake.c"
printf 'void pdi_api_fake_pedia(void);\n\nvoid\npdi_api_fake_pedia(void)\n{\n}\n' \
  >"$api/pedia/pedia_fake.c"
printf 'void pdi_api_fake_search(void);\n\nvoid\npdi_api_fake_search(void)\n{\n    pdi_api_fake_core();\n}\n' \
  >"$api/search/search_fake.c"
expect_pass "family layout, search -> core"
append libpedia/apiserver/search/search_fake.c "
void pdi_api_fake_search2(void);

void
pdi_api_fake_search2(void)
{
    pdi_api_fake_pedia();
}"
expect_fail "family search -> pedia" libpedia/apiserver/search/search_fake.c

# (c) core (the lowest family) includes a top-level (pipeline) header.
rm "$api/search/search_fake.c"
append libpedia/apiserver/core/core_fake.c '#include "apiserver/api_router.h"'
expect_fail "family core -> top-level" libpedia/apiserver/core/core_fake.c

# (d) a cycle of four files inside the core family.
fresh
mkdir -p "$api/core"
for i in 0 1 2 3; do
  printf 'void pdi_api_ring%d(void);\n\nvoid\npdi_api_ring%d(void)\n{\n    pdi_api_ring%d();\n}\n' \
    "$i" "$i" $(((i + 1) % 4)) >"$api/core/ring$i.c"
done
expect_fail "cycle of 4 files in a family" libpedia/apiserver/core/ring0.c
rm "$api/core/ring3.c"
sed -i 's/pdi_api_ring3/pdi_api_ring0/' "$api/core/ring2.c"
expect_pass "cycle of 3 files in a family"

[ $fails -eq 0 ] && echo "check_layers selftest: all cases behave"
exit $((fails > 0))
