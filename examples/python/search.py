#!/usr/bin/env python3
"""search.py: sync member clusters with libpedia and search across them.

Opens (or creates) a store, applies PediaCluster manifests (YAML or JSON
files), starts the sync engine, waits until every cluster is Ready and has
listed its resources, then runs one multi-cluster search and prints a row
per object.

    PEDIA_LIBRARY=build/libpedia/libpedia.so \\
    PYTHONPATH=bindings/python \\
    python3 examples/python/search.py --store sqlite:/tmp/pedia.db \\
        member-1.yaml member-2.yaml --resource v1/pods \\
        --label-selector app=web --limit 20

See examples/manifests/ for manifest forms (spec.apiserver must reach a
member; tests/kubesim is a simulated one).  Exit status: 0 ok, 1 error.
"""
from __future__ import annotations

import argparse
import sys

import pedia


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("manifests", nargs="+", help="PediaCluster files")
    ap.add_argument("--store", default="sqlite:/tmp/pedia-example.db",
                    help="store URI (default %(default)s)")
    ap.add_argument("--resource", default="v1/pods",
                    help="e.g. v1/pods, apps/v1/deployments")
    ap.add_argument("--label-selector", help="e.g. app=web")
    ap.add_argument("--namespace", action="append", dest="namespaces",
                    help="restrict to a namespace (repeatable)")
    ap.add_argument("--order-by", action="append", default=None,
                    help="sort field, '-' prefix = descending "
                         "(default: cluster, namespace, name)")
    ap.add_argument("--limit", type=int, default=20, help="rows to print")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds to wait for the clusters")
    args = ap.parse_args(argv)

    with pedia.Store.open(args.store) as store, \
            pedia.Engine(store) as engine:
        names = []
        for path in args.manifests:
            with open(path) as f:
                engine.apply(f.read())  # YAML or JSON text, passed through
            names = [d["metadata"]["name"] for d in engine.clusters()]
        engine.start()
        engine.wait_ready(*names, timeout=args.timeout, synced=True)
        print("clusters ready: %s (store revision %d)"
              % (", ".join(names), store.revision))
        rows = store.search(args.resource, namespaces=args.namespaces,
                            label_selector=args.label_selector,
                            order_by=args.order_by, limit=args.limit)
        print("%-12s %-22s %-40s %s" % ("CLUSTER", "NAMESPACE", "NAME",
                                        "REVISION"))
        n = 0
        for obj in rows:
            print("%-12s %-22s %-40s %d" % (obj.cluster, obj.namespace,
                                            obj.name, obj.revision))
            n += 1
        print("(%d rows)" % n)
        engine.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except pedia.Error as e:
        print("search.py: %s" % e, file=sys.stderr)
        sys.exit(1)
