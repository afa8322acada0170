#!/usr/bin/python3
"""clang-tidy gate (STYLE.md 2.13): clang-tidy-14 with the repository's
.clang-tidy over every libpedia/**/*.c in the build's compile_commands.json
(CMAKE_EXPORT_COMPILE_COMMANDS), JOBS files at a time. Any finding fails,
except those listed in KNOWN below.

Usage: check_tidy.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# Findings present when the gate was added, in files this change could not
# edit: (file, check) pairs, matched whatever the line. Fix them and delete
# the entry; the gate prints entries that no longer match.
KNOWN = [
    # More than 6 parameters: the public pedia_batch_upsert/_delete (ABI)
    # and internal signatures (pdi_record_normalize, pdi_kube_*_async,
    # pdi_sync_resolve, pdi_pg_stream, sync_writer_put); each wants an
    # options struct of its own change.
    ("libpedia/model/model_record.c", "readability-function-size"),
    ("libpedia/store/store_batch.c", "readability-function-size"),
    ("libpedia/store/store_pg.c", "readability-function-size"),
    ("libpedia/kube/kube_loop.c", "readability-function-size"),
    ("libpedia/sync/sync_resolve.c", "readability-function-size"),
    ("libpedia/sync/sync_writer.c", "readability-function-size"),
]

DIAG_RE = re.compile(r"^(/[^:]+):(\d+):(\d+): (warning|error): (.*) "
                     r"\[([\w.,-]+)\]$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def tidy(tool, build, path):
    r = subprocess.run([tool, "-p", build, "--quiet", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, check=False)
    return path, r.returncode, ANSI_RE.sub("", r.stdout)


def main():
    src, build = (os.path.abspath(a) for a in sys.argv[1:3])
    tool = "clang-tidy-14"
    jobs = int(os.environ.get("PEDIA_TIDY_JOBS", os.cpu_count() or 2))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    lib = os.path.join(src, "libpedia") + os.sep
    files = sorted({os.path.normpath(os.path.join(e["directory"], e["file"]))
                    for e in entries})
    files = [f for f in files if f.startswith(lib) and f.endswith(".c")]
    if not files:
        print("no libpedia sources in %s/compile_commands.json" % build)
        return 1
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda p: tidy(tool, build, p), files))
    found, known_hit, failed = {}, set(), []
    for path, rc, out in results:
        lines = out.splitlines()
        diags = 0
        for i, line in enumerate(lines):
            m = DIAG_RE.match(line)
            if not m:
                continue
            diags += 1
            rel = os.path.relpath(m.group(1), src)
            checks = [c for c in m.group(6).split(",")
                      if c != "-warnings-as-errors"]
            hit = [(rel, c) for c in checks if (rel, c) in KNOWN]
            if hit:
                known_hit.update(hit)
                continue
            key = (rel, int(m.group(2)), m.group(6))
            found.setdefault(key, "\n".join(
                ["%s:%s:%s: %s [%s]" % (rel, m.group(2), m.group(3),
                                        m.group(5), ",".join(checks))]
                + lines[i + 1:i + 3]))
        if rc != 0 and diags == 0:
            failed.append((path, out))
    took = time.monotonic() - start
    for path, out in failed:
        print("clang-tidy failed on %s:\n%s" % (path, out))
    for key in sorted(found):
        print(found[key])
    for entry in KNOWN:
        if entry not in known_hit:
            print("note: KNOWN entry no longer found, delete it: %s %s"
                  % entry)
    print("clang-tidy: %d files, %d jobs, %.0f s; %d finding(s), %d known "
          "(file, check) pairs excluded" % (len(files), jobs, took,
                                            len(found), len(known_hit)))
    return 1 if found or failed else 0


if __name__ == "__main__":
    sys.exit(main())
