"""Benchmark 2, echo round trip: one client on one keep-alive connection submits an echo
request, polls until the 303 and downloads the result, strictly sequentially; p50 and p99 of
the round trip. Baseline: three `GET /api/v1/test` on the same connection."""

import statistics
import time
import uuid

from .processes import log
from .report import figure, med, num, percentile, status_of, table
from .server import CpuMeter, Server, connection, http_request, submit, wait_finished

NAME = "echo"
TITLE = "2. Echo round trip"
SUMMARY = "2. echo round trip (submit, poll until 303, download), sequential"


def run(ctx, section):
    n = 50 if ctx.quick else 300
    runs = []
    for run_index in range(ctx.runs):
        ctx.wait_quiet()
        with Server(ctx, "echo") as server:
            server.start()
            conn = connection(server.port)

            def round_trip(i):
                text = f"datasource: echo\nparam: 2t/msl\ntag: run{run_index}-{i}-{uuid.uuid4().hex}\n"
                start = time.perf_counter()
                _, path = submit(server.port, text, conn=conn)
                download, polls = wait_finished(server.port, path, sleep=0, conn=conn)
                if download is None:
                    raise RuntimeError(f"echo request {path} failed")
                status, _, data = http_request(server.port, "GET", download, conn=conn)
                elapsed = time.perf_counter() - start
                if status != 200 or data != text.encode():
                    raise RuntimeError(f"download answered {status} with {data[:100]!r}, expected the request text")
                return elapsed * 1000, polls

            for i in range(10):  # warm-up
                round_trip(-1 - i)
            with CpuMeter([server.pid]) as meter:
                samples = [round_trip(i) for i in range(n)]
            times = [s[0] for s in samples]
            polls = [s[1] for s in samples]
            base = []
            for _ in range(n):
                start = time.perf_counter()
                for _ in range(3):
                    status, _, _ = http_request(server.port, "GET", "/api/v1/test", auth=False, conn=conn)
                    if status != 200:
                        raise RuntimeError(f"/api/v1/test answered {status}")
                base.append((time.perf_counter() - start) * 1000)
            conn.close()
        result = {
            "p50": percentile(times, 50), "p99": percentile(times, 99), "mean": statistics.mean(times),
            "polls": statistics.mean(polls), "max_polls": max(polls), "base_p50": percentile(base, 50),
            **meter.as_dict(),
        }
        runs.append(result)
        log(f"echo run {run_index + 1}: p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, {result['polls']:.1f} polls; baseline {result['base_p50']:.2f} ms")

    section.add(f"""
**What is measured.** A `serve --all` server (polytope.yaml), fresh for every run. One client,
one persistent keep-alive connection (Python `http.client`, `TCP_NODELAY`), strictly
sequential, {n} times after 10 warm-up round trips: POST an echo request with a distinct text
(`datasource: echo`, `param: 2t/msl` and a unique `tag`), poll `GET /api/v1/requests/<id>`
in a tight loop (no sleep) until the 303, GET the download and check that its bytes equal the
request text. A round trip is timed from before the POST to the last byte of the download.
"Polls" counts the `GET /api/v1/requests/<id>` calls per round trip, including the one that
got the 303.

**Baseline** (same run, same connection): three `GET /api/v1/test` in sequence, {n} times;
its p50 is the HTTP cost of the loop's three request/response exchanges without any work.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["round trip p50 ms", "p99 ms", "mean ms", "polls per round trip", "baseline p50 ms (3 × GET /api/v1/test)"],
        [[figure([r["p50"] for r in runs], 2), figure([r["p99"] for r in runs], 2), figure([r["mean"] for r in runs], 2), figure([r["polls"] for r in runs], 2), figure([r["base_p50"] for r in runs], 3)]],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "p50 ms", "p99 ms", "mean ms", "polls (mean)", "polls (max)", "baseline p50 ms", "server cores", "client cores", "other cores"],
        [[i, num(r["p50"], 2), num(r["p99"], 2), num(r["mean"], 2), num(r["polls"], 2), r["max_polls"], num(r["base_p50"], 3), num(r["server_cores"], 2), num(r["client_cores"], 2), num(r["other_cores"], 2)] for i, r in enumerate(runs, 1)],
    ))
    p50 = med([r["p50"] for r in runs])
    section.row(
        "2. Echo round trip (sequential)",
        f"p50 {num(p50, 2)} ms (p99 {num(med([r['p99'] for r in runs]), 2)} ms, {num(med([r['polls'] for r in runs]), 1)} polls)",
        "p50 ≤ 8 ms",
        status_of(p50 <= 8),
        f"3 × GET /api/v1/test: p50 {num(med([r['base_p50'] for r in runs]), 3)} ms",
    )
