#!/usr/bin/python3
"""K concurrent watches through the Python `kubernetes` client (issue 14).

    /usr/bin/python3 bench/watch_py.py --kubeconfig KC --control-port C
        [--context clusterpedia] [--watches 200] [--rate 10] [--count 50]
        [--objects N] [--namespace loadbench] [--drain-seconds 30]
        [--raw]

The kubeconfig is the one pediad writes (--kubeconfig-out); its context
`clusterpedia` points at the search root, so `CoreV1Api` calls go to
/apis/clusterpedia.io/v1beta1/resources/api/v1/... The member is a kubesim
whose control endpoint runs the stamped churn (tests/kubesim/README.md,
POST /stamp-churn).

Each of --watches threads has its own ApiClient and runs
`watch.Watch().stream(list_config_map_for_all_namespaces,
resource_version=RV, allow_watch_bookmarks=True)` from the RV of a list
taken first, so watches that connect late still get every change from the
change log. Then kubesim makes --count changes at --rate/s, each stamped
with its wall-clock time; every thread counts the changes of this run it
receives (a change not received is missing: "lost" if it was its object's
last change of the run, else "superseded", which pediad may skip; by
default there are as many objects as changes, so none may be skipped;
repeats are duplicates) and the lag receipt - stamp (after the client's own decoding, so it includes
the Python client's cost; --raw skips the model deserialization). Ends
when every thread has every change, or --drain-seconds after kubesim made
the last one. Prints a text report and one JSON line ("bench":"watch_py").
"""
import argparse
import http.client
import json
import sys
import threading
import time

import urllib3
from kubernetes import client, config, watch

STAMP = "kubesim.pedia.io/stamp"


def control(port, method, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, "/stamp-churn",
                 body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"control {method} /stamp-churn: {resp.status} {data!r}")
    return json.loads(data)


class RawWatch(watch.Watch):
    """Watch that hands back the decoded JSON only (no model objects)."""

    def get_return_type(self, func):
        return None


class Watcher(threading.Thread):
    def __init__(self, idx, cfg, rv, run_id, count, raw):
        super().__init__(daemon=True, name=f"watch-{idx}")
        self.cfg, self.rv, self.run_id, self.want = cfg, rv, run_id, count
        self.raw = raw
        self.seen = set()
        self.count = self.last_seq = self.dup = 0
        self.other = self.bookmarks = 0
        self.lags = []
        self.error = None
        self.done = threading.Event()

    def run(self):
        api = client.CoreV1Api(client.ApiClient(self.cfg))
        w = RawWatch() if self.raw else watch.Watch()
        try:
            for ev in w.stream(api.list_config_map_for_all_namespaces,
                               resource_version=self.rv,
                               allow_watch_bookmarks=True,
                               timeout_seconds=3600):
                now = time.time()
                if ev["type"] == "BOOKMARK":
                    self.bookmarks += 1
                    continue
                ann = (ev["raw_object"].get("metadata") or {}).get("annotations") or {}
                stamp = ann.get(STAMP)
                parts = stamp.split("/") if stamp else []
                if len(parts) != 3 or int(parts[0]) != self.run_id:
                    self.other += 1
                    continue
                seq, us = int(parts[1]), int(parts[2])
                self.count += 1
                self.lags.append(max(0.0, now - us / 1e6))
                if seq <= self.last_seq:
                    self.dup += 1
                self.last_seq = max(seq, self.last_seq)
                self.seen.add(seq)
                if self.last_seq >= self.want:
                    w.stop()
                    break
        except Exception as e:  # reported, not raised: the run goes on
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.done.set()


def pct(v, q):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(q * len(v) + 0.5) - 1))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context", default="clusterpedia")
    ap.add_argument("--control-port", type=int, required=True)
    ap.add_argument("--watches", type=int, default=200)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--objects", type=int, default=0,
                    help="stamp ConfigMaps (default: --count, each changes once)")
    ap.add_argument("--namespace", default="loadbench")
    ap.add_argument("--drain-seconds", type=float, default=30)
    ap.add_argument("--raw", action="store_true",
                    help="skip the model deserialization (decoded JSON only)")
    a = ap.parse_args()
    a.objects = a.objects or min(a.count, 100000)

    urllib3.disable_warnings()
    cfg = client.Configuration()
    config.load_kube_config(config_file=a.kubeconfig, context=a.context,
                            client_configuration=cfg)
    control(a.control_port, "POST", {"objects": a.objects, "namespace": a.namespace,
                                     "namespaces": 1})
    v1 = client.CoreV1Api(client.ApiClient(cfg))
    rv = v1.list_config_map_for_all_namespaces(
        label_selector="pedia-load-nothing=x", limit=1).metadata.resource_version
    run_id = control(a.control_port, "GET")["run"] + 1

    t0 = time.time()
    ws = [Watcher(i, cfg, rv, run_id, a.count, a.raw) for i in range(a.watches)]
    for w in ws:
        w.start()
    started_s = time.time() - t0
    print(f"watch_py: {a.watches} watch threads started in {started_s:.1f} s "
          f"from resourceVersion {rv}; churn {a.count} changes at {a.rate:g}/s",
          flush=True)
    time.sleep(1)
    st = control(a.control_port, "POST", {"rate": a.rate, "count": a.count,
                                          "objects": a.objects,
                                          "namespace": a.namespace,
                                          "namespaces": 1})
    final_n = min(st["objects"], a.count)  # each object's last change
    final = range(a.count - final_n + 1, a.count + 1)
    if st["run"] != run_id:
        print(f"watch_py: kubesim started run {st['run']}, expected {run_id}",
              file=sys.stderr)
        return 1
    c0 = time.process_time()
    tc = time.time()
    deadline = tc + a.count / a.rate + 600
    done_at = None
    while time.time() < deadline:
        if done_at is None and control(a.control_port, "GET")["done"] >= a.count:
            done_at = time.time()
        if all(w.done.is_set() for w in ws):
            break
        if done_at is not None and time.time() - done_at > a.drain_seconds:
            break
        time.sleep(0.2)
    elapsed = time.time() - tc
    cpu_pct = 100.0 * (time.process_time() - c0) / elapsed if elapsed else 0

    counts = [w.count for w in ws]
    lags = [x for w in ws for x in w.lags]
    complete = sum(1 for w in ws if len(w.seen) == a.count and not w.dup)
    missing = sum(a.count - len(w.seen) for w in ws)
    lost = sum(sum(1 for q in final if q not in w.seen) for w in ws)
    converged = sum(1 for w in ws if all(q in w.seen for q in final))
    errors = [w.error for w in ws if w.error]
    res = {
        "bench": "watch_py", "watches": a.watches, "rate": a.rate,
        "count": a.count, "raw": a.raw, "run": run_id,
        "complete": complete, "converged": converged,
        "min_events": min(counts), "max_events": max(counts),
        "delivered": sum(counts), "missing": missing,
        "superseded": missing - lost, "lost": lost,
        "duplicates": sum(w.dup for w in ws), "errors": len(errors),
        "lag_p50_ms": round(pct(lags, 0.5) * 1000, 3),
        "lag_p99_ms": round(pct(lags, 0.99) * 1000, 3),
        "lag_max_ms": round(max(lags) * 1000, 3) if lags else 0,
        "drain_s": round(time.time() - done_at, 2) if done_at else None,
        "client_cpu_pct": round(cpu_pct, 1),
    }
    print(f"watch_py: {a.watches} watches (Python kubernetes client "
          f"{'raw JSON' if a.raw else 'models'}), run {run_id}: every change "
          f"{complete}, final version of every object {converged}; events per "
          f"watch min {res['min_events']} max {res['max_events']} of {a.count}, "
          f"missing {missing} (superseded {missing - lost}, lost {lost}), "
          f"duplicates {res['duplicates']}, errors {len(errors)}")
    if errors:
        print(f"  first error: {errors[0][:300]}")
    print(f"  lag (receipt - stamp): p50 {res['lag_p50_ms']:.2f} ms, p99 "
          f"{res['lag_p99_ms']:.2f} ms, max {res['lag_max_ms']:.2f} ms; client "
          f"CPU {res['client_cpu_pct']:.0f} %")
    print(json.dumps(res, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
