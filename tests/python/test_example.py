"""examples/python/search.py against two kubesim members."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import BINDINGS, ROOT, member_count

EXAMPLE = os.path.join(ROOT, "examples", "python", "search.py")


def test_example_search(sim, sim2, tmpdir_path):
    paths = []
    for name, s in (("east", sim), ("west", sim2)):
        p = os.path.join(tmpdir_path, "%s.json" % name)
        with open(p, "w") as f:
            json.dump(s.manifest(name), f)
        paths.append(p)
    # the second one as YAML, as users write them
    with open(paths[1], "w") as f:
        f.write("apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                "kind: PediaCluster\nmetadata:\n  name: west\n"
                "spec:\n  apiserver: %s\n  syncResources:\n"
                "  - group: \"\"\n    resources: [pods]\n" % sim2.url)
    env = dict(os.environ, PYTHONPATH=BINDINGS)
    r = subprocess.run(
        [sys.executable, EXAMPLE, "--store",
         "sqlite:%s/ex.db" % tmpdir_path, "--limit", "1000",
         "--timeout", "60", *paths],
        env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("clusters ready: east, west")
    rows = [line.split() for line in out[2:-1]]
    want = member_count(sim, "pods") + member_count(sim2, "pods")
    assert out[-1] == "(%d rows)" % want
    assert {row[0] for row in rows} == {"east", "west"}


def test_example_reports_errors(tmpdir_path):
    bad = os.path.join(tmpdir_path, "bad.yaml")
    with open(bad, "w") as f:
        f.write("kind: PediaCluster\n")
    env = dict(os.environ, PYTHONPATH=BINDINGS)
    r = subprocess.run([sys.executable, EXAMPLE, "--store",
                        "sqlite:%s/ex.db" % tmpdir_path, bad],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.startswith("search.py: EINVAL")
