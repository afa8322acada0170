#!/usr/bin/python3
"""kubesim_bench.py - measures paged-list throughput of a running kubesim.

Usage: kubesim_bench.py PORT [RESOURCE_PATH] [LIMIT]
Follows metadata.continue until the end, reading every byte, and prints
objects, bytes, seconds and MB/s.  Not a test: no timed assertions.
"""
import http.client
import re
import sys
import time

port = int(sys.argv[1])
path = sys.argv[2] if len(sys.argv) > 2 else "/api/v1/pods"
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 500
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
cont, total, pages, items = "", 0, 0, 0
t0 = time.time()
while True:
    q = "%s?limit=%d%s" % (path, limit, "&continue=" + cont if cont else "")
    conn.request("GET", q)
    body = conn.getresponse().read()
    total += len(body)
    pages += 1
    items += body.count(b'"kind":"Pod","metadata"')
    m = re.search(rb'"continue":"([^"]+)"', body[:512])
    if not m:
        break
    cont = m.group(1).decode()
dt = time.time() - t0
print("pages=%d objects=%d bytes=%d seconds=%.2f MB/s=%.0f"
      % (pages, items, total, dt, total / dt / 1e6))
