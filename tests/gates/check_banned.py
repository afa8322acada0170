#!/usr/bin/python3
"""Banned functions in libpedia/ (STYLE.md 2.5, 2.6), in the spirit of curl's
checksrc: fails naming file:line for a call of any function in BANNED.
The raw allocator calls are allowed only where the allocator hooks are
implemented (ALLOWED). Comments and string literals are not searched;
calls through a struct member (ops->free(...)) are not libc calls.

Usage: check_banned.py [ROOT]
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_layers import strip_code  # noqa: E402

BANNED = {
    "strcpy": "snprintf or memcpy with a checked length",
    "strcat": "pdi_buf or snprintf",
    "sprintf": "snprintf or pdi_buf_printf",
    "vsprintf": "vsnprintf",
    "strtok": "strtok_r or an explicit scan",
    "atoi": "strtol with errno and end checks",
    "atol": "strtol with errno and end checks",
    "gets": "fgets",
    "malloc": "pdi_malloc (the ctx allocator, STYLE.md 2.6)",
    "calloc": "pdi_calloc",
    "realloc": "pdi_realloc",
    "free": "pdi_free",
    "strdup": "pdi_strdup",
    "assert": "PEDIA_ASSERT or PEDIA_ASSERT_ARG (STYLE.md 2.5)",
}
# util's allocator file implements pdi_malloc/pdi_realloc/pdi_free on top
# of libc when the ctx has no allocator hooks.
ALLOWED = {
    "libpedia/util/util_alloc.c": {"malloc", "realloc", "free"},
}
CALL_RE = re.compile(r"(->|\.)?\s*\b(%s)\s*\(" % "|".join(BANNED))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..")
    root = os.path.abspath(root)
    errors = []
    nfiles = 0
    for dirpath, dirs, names in os.walk(os.path.join(root, "libpedia")):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            nfiles += 1
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            with open(full, encoding="utf-8", errors="replace") as f:
                lines = strip_code(f.read()).split("\n")
            for n, line in enumerate(lines, 1):
                if line.lstrip().startswith("#"):
                    continue  # #include <assert.h> etc. are not calls
                for m in CALL_RE.finditer(line):
                    fn = m.group(2)
                    if m.group(1) or fn in ALLOWED.get(rel, ()):
                        continue
                    errors.append("%s:%d: %s() is banned in libpedia/: use "
                                  "%s" % (rel, n, fn, BANNED[fn]))
    for e in errors:
        print(e)
    print("check_banned: %d files, %d banned call(s)" % (nfiles, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
