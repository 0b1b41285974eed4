"""Benchmark 8, the queue as users feel it: (a) drain ratio: one user's backlog of echo
requests drains under the default limits (per-user 8) at what fraction of the rate with the
limits lifted, on `serve --all` and on role processes sharing one SQLite file; (b) echo round
trip with the roles in two processes on one SQLite file against one process; (c) echo round
trip with long polls (`?wait=`) against three bare HTTP exchanges."""

import json
import time
import uuid

from .processes import log
from .report import figure, med, num, percentile, status_of, table
from .server import Server, connection, http_request, submit, wait_finished

NAME = "queue"
TITLE = "8. The queue: drain ratio, split roles, long polls"
SUMMARY = "8. queue: backlog drain ratio (default vs lifted limits), split-role and long-poll round trips"

LIFTED = {"collections": {"debug": {"limits": {"total": 1000000, "per-user": 1000000}}}, "broker": {"max-active": 1000000}}


class Deployment:
    """`serve --all`, or frontend+broker and worker processes on one data directory."""

    def __init__(self, ctx, label, split, overlays=()):
        self.servers = []
        if split:
            data = ctx.new_dir(label) / "data"
            self.servers = [
                Server(ctx, f"{label}-front", roles="frontend,broker,gc,telemetry", overlays=overlays, data_dir=data),
                Server(ctx, f"{label}-worker", roles="worker,telemetry", overlays=overlays, data_dir=data),
            ]
        else:
            self.servers = [Server(ctx, label, overlays=overlays)]

    @property
    def port(self):
        return self.servers[0].port

    def __enter__(self):
        for server in self.servers:
            server.start()
        return self

    def __exit__(self, *exc):
        for server in reversed(self.servers):
            server.stop()
        return False


def drain(port, count):
    """Seconds from the first submission until all `count` echo requests are processed."""
    conn = connection(port)
    start = time.perf_counter()
    paths = [submit(port, f"datasource: echo\ntag: {uuid.uuid4().hex}", conn=conn)[1] for _ in range(count)]
    for path in paths:
        download, _ = wait_finished(port, path, sleep=0.002, conn=conn)
        if download is None:
            raise RuntimeError(f"{path} failed")
    conn.close()
    return time.perf_counter() - start


def round_trips(port, n, wait):
    """Echo round trips (submit, poll to the 303, download) in ms; with `wait`, polls are long polls."""
    conn = connection(port)
    times = []
    for i in range(n + 10):
        text = f"datasource: echo\ntag: {uuid.uuid4().hex}\n"
        start = time.perf_counter()
        _, path = submit(port, text, conn=conn)
        poll = path + ("?wait=30" if wait else "")
        download, _ = wait_finished(port, poll, sleep=0 if wait else 0.0005, conn=conn)
        status, _, data = http_request(port, "GET", download, conn=conn)
        if status != 200 or data != text.encode():
            raise RuntimeError(f"download answered {status}")
        if i >= 10:
            times.append((time.perf_counter() - start) * 1000)
    base = []
    for _ in range(n):
        start = time.perf_counter()
        for _ in range(3):
            http_request(port, "GET", "/api/v1/test", auth=False, conn=conn)
        base.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times, base


def run(ctx, section):
    backlog = 300 if ctx.quick else 1000
    n = 50 if ctx.quick else 200
    lifted = ctx.overlay("queue-lifted", LIFTED)
    drains, trips = [], []
    for run_index in range(ctx.runs):
        result = {}
        for split in (False, True):
            kind = "split" if split else "all"
            ctx.wait_quiet()
            with Deployment(ctx, f"queue-{kind}-default", split) as deployment:
                drain(deployment.port, 20)
                result[f"{kind}_default"] = drain(deployment.port, backlog)
            ctx.wait_quiet()
            with Deployment(ctx, f"queue-{kind}-lifted", split, overlays=[lifted]) as deployment:
                drain(deployment.port, 20)
                result[f"{kind}_lifted"] = drain(deployment.port, backlog)
        drains.append(result)
        log(f"queue drain run {run_index + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()))

        trip = {}
        ctx.wait_quiet()
        with Deployment(ctx, "queue-trip-all", False) as deployment:
            times, base = round_trips(deployment.port, n, wait=False)
            trip["one_p50"] = percentile(times, 50)
            times, _ = round_trips(deployment.port, n, wait=True)
            trip["wait_p50"], trip["base_p50"] = percentile(times, 50), percentile(base, 50)
        ctx.wait_quiet()
        with Deployment(ctx, "queue-trip-split", True) as deployment:
            times, _ = round_trips(deployment.port, n, wait=False)
            trip["split_p50"] = percentile(times, 50)
        trips.append(trip)
        log(f"queue round trips run {run_index + 1}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in trip.items()))

    ratio = {kind: [r[f"{kind}_lifted"] / r[f"{kind}_default"] for r in drains] for kind in ("all", "split")}
    split_factor = [t["split_p50"] / t["one_p50"] for t in trips]
    wait_factor = [t["wait_p50"] / t["base_p50"] for t in trips]
    section.add(f"""
**What is measured.** (a) One user submits {backlog} echo requests at once on one keep-alive
connection, then polls each until its 303; the drain time runs from the first submission to
the last 303. Once with polytope.yaml's limits (`debug`: per-user 8, total 20; `max-active` 64)
and once with them lifted (overlay: total and per-user 1,000,000, `max-active` 1,000,000); the
ratio is lifted time / default time (1.0: the limits cost no throughput). Both on `serve --all`
and on two processes sharing one SQLite file (`--role frontend,broker,gc,telemetry` and
`--role worker,telemetry`). 20 requests warm each server up first.
(b) Echo round trips as in benchmark 2 (submit, poll every 0.5 ms until the 303, download),
{n} after 10 warm-up, on `serve --all` and on the two processes above.
(c) The same round trip with long polls: one `GET /api/v1/requests/<id>?wait=30` answers at
the status change; baseline: three `GET /api/v1/test` on the same connection.

Targets (issue 10): drain ratio ≥ 0.9; split-role p50 ≤ 2× one process; long-poll round trip
p50 ≤ 2 ms and ≤ 2× the baseline. PostgreSQL role processes are not measured here (see the
note in the summary).
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["figure", "value"],
        [
            [f"(a) drain of {backlog}, serve --all, default limits, s", figure([r["all_default"] for r in drains], 2)],
            [f"(a) drain of {backlog}, serve --all, lifted limits, s", figure([r["all_lifted"] for r in drains], 2)],
            ["(a) drain ratio, serve --all", figure(ratio["all"], 2)],
            [f"(a) drain of {backlog}, two processes, default limits, s", figure([r["split_default"] for r in drains], 2)],
            [f"(a) drain of {backlog}, two processes, lifted limits, s", figure([r["split_lifted"] for r in drains], 2)],
            ["(a) drain ratio, two processes", figure(ratio["split"], 2)],
            ["(b) echo round trip p50, one process, ms", figure([t["one_p50"] for t in trips], 2)],
            ["(b) echo round trip p50, two processes, ms", figure([t["split_p50"] for t in trips], 2)],
            ["(b) two processes / one process", figure(split_factor, 2)],
            ["(c) echo round trip p50 with ?wait=, ms", figure([t["wait_p50"] for t in trips], 2)],
            ["(c) baseline p50 (3 × GET /api/v1/test), ms", figure([t["base_p50"] for t in trips], 3)],
            ["(c) long-poll round trip / baseline", figure(wait_factor, 2)],
        ],
    ))
    for kind, label in (("all", "serve --all"), ("split", "two processes, one SQLite file")):
        value = med(ratio[kind])
        section.row(f"8a. Drain ratio, {label}", num(value, 2), "≥ 0.9", status_of(value >= 0.9), "the same backlog with limits lifted")
    value = med(split_factor)
    section.row("8b. Echo round trip, roles in two processes", f"{num(med([t['split_p50'] for t in trips]), 2)} ms p50 = {num(value, 2)}× one process",
                "≤ 2×", status_of(value <= 2), "one process, same run")
    wait_p50, factor = med([t["wait_p50"] for t in trips]), med(wait_factor)
    section.row("8c. Echo round trip with long polls", f"{num(wait_p50, 2)} ms p50 = {num(factor, 2)}× baseline", "≤ 2 ms and ≤ 2×",
                status_of(wait_p50 <= 2 and factor <= 2), "3 × GET /api/v1/test, same connection")
