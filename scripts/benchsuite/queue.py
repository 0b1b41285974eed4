"""Benchmark 8, the queue as users feel it: (a) drain ratio: one user's backlog of echo
requests drains under the default limits (per-user 8) at what fraction of the rate with the
limits lifted, on `serve --all` and on role processes sharing one SQLite file; (b) echo round
trip with the roles in two processes on one SQLite file against one process; (c) echo round
trip with long polls (`?wait=`) against three bare HTTP exchanges; (d) what 1,000 long polls
held at once cost the server in memory and CPU."""

import json
import socket
import statistics
import subprocess
import time
import uuid

from .processes import log
from .report import figure, med, num, percentile, status_of, table
from .server import AUTH, CLK_TCK, REPO, Server, connection, http_request, process_ticks, submit, vm_kb, wait_finished

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


def round_trips(port, n, wait, phases=None):
    """Echo round trips (submit, poll to the 303, download) in ms; with `wait`, polls are long
    polls. `phases`, if a dict, gets each trip's submit, polls-until-the-303 and download
    times (ms) and poll count, in lists."""
    conn = connection(port)
    times = []
    for i in range(n + 10):
        text = f"datasource: echo\ntag: {uuid.uuid4().hex}\n"
        start = time.perf_counter()
        _, path = submit(port, text, conn=conn)
        submitted = time.perf_counter()
        poll = path + ("?wait=30" if wait else "")
        download, polls = wait_finished(port, poll, sleep=0 if wait else 0.0005, conn=conn)
        redirected = time.perf_counter()
        status, _, data = http_request(port, "GET", download, conn=conn)
        if status != 200 or data != text.encode():
            raise RuntimeError(f"download answered {status}")
        if i >= 10:
            end = time.perf_counter()
            times.append((end - start) * 1000)
            if phases is not None:
                for name, value in (("submit", submitted - start), ("polls", redirected - submitted), ("download", end - redirected)):
                    phases.setdefault(name, []).append(value * 1000)
                phases.setdefault("count", []).append(polls)
    base = []
    for _ in range(n):
        start = time.perf_counter()
        for _ in range(3):
            http_request(port, "GET", "/api/v1/test", auth=False, conn=conn)
        base.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times, base


def held_polls(ctx, count, hold_seconds):
    """Holds `count` long polls (`?wait=60`) on requests that stay waiting (no worker runs),
    each on its own connection (from 10 loopback addresses: the server allows 128 connections
    per address); returns the server's RSS growth in MB, the cores it used while they were held,
    and the cores it used before them (the same server idle with the same waiting requests)."""
    server = Server(ctx, "queue-held", roles="frontend,broker,telemetry")
    server.start()
    sockets = []
    try:
        conn = connection(server.port)
        ids = [submit(server.port, f"datasource: echo\ntag: {i}", conn=conn)[1] for i in range(count)]
        conn.close()
        time.sleep(1)
        ticks = process_ticks(server.pid)
        time.sleep(hold_seconds)
        idle_cores = (process_ticks(server.pid) - ticks) / CLK_TCK / hold_seconds  # the broker's fallback rounds, GC...
        before = vm_kb(server.pid, "VmRSS")
        for index, path in enumerate(ids):
            sock = socket.create_connection(("127.0.0.1", server.port), source_address=(f"127.0.0.{2 + index % 10}", 0))
            sock.sendall(f"GET {path}?wait=60 HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n\r\n".encode())
            sockets.append(sock)
        time.sleep(2)  # every poll read, authenticated and suspended
        held_rss = vm_kb(server.pid, "VmRSS")
        ticks = process_ticks(server.pid)
        time.sleep(hold_seconds)
        cores = (process_ticks(server.pid) - ticks) / CLK_TCK / hold_seconds
        for sock in sockets:
            sock.setblocking(False)
            try:
                if sock.recv(1):
                    raise RuntimeError("a held poll was answered before its wait ended")
            except BlockingIOError:
                pass
        return (held_rss - before) / 1024, cores, idle_cores
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def run(ctx, section):
    backlog = 300 if ctx.quick else 3000
    n = 50 if ctx.quick else 200
    lifted = ctx.overlay("queue-lifted", LIFTED)
    drains, trips = [], []
    started = subprocess.run([str(REPO / "scripts" / "test-postgres"), "start"], capture_output=True, text=True, timeout=900,
                             stdin=subprocess.DEVNULL, check=True).stdout.split()
    postgres_url, postgres_dir = started[0], started[1]

    def postgres_store():
        return ctx.overlay(f"queue-pg-{uuid.uuid4().hex[:8]}", {"store": {"type": "postgres", "url": postgres_url,
                                                                           "schema": f"bench_{uuid.uuid4().hex}"}})

    try:
        for run_index in range(ctx.runs):
            result = {}
            for kind, split, store in (("all", False, False), ("split", True, False), ("pg", True, True)):
                for limits in ("default", "lifted"):
                    overlays = ([postgres_store()] if store else []) + ([lifted] if limits == "lifted" else [])
                    ctx.wait_quiet()
                    with Deployment(ctx, f"queue-{kind}-{limits}", split, overlays=overlays) as deployment:
                        drain(deployment.port, 20)
                        result[f"{kind}_{limits}"] = drain(deployment.port, backlog)
            drains.append(result)
            log(f"queue drain run {run_index + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()))

            trip = {}
            ctx.wait_quiet()
            with Deployment(ctx, "queue-trip-all", False) as deployment:
                times, base = round_trips(deployment.port, n, wait=False)
                trip["one_p50"] = percentile(times, 50)
                phases = {}
                times, _ = round_trips(deployment.port, n, wait=True, phases=phases)
                trip["wait_p50"], trip["base_p50"] = percentile(times, 50), percentile(base, 50)
                for name in ("submit", "polls", "download"):
                    trip[f"wait_{name}_p50"] = percentile(phases[name], 50)
                trip["wait_polls"] = statistics.mean(phases["count"])
            ctx.wait_quiet()
            with Deployment(ctx, "queue-trip-split", True) as deployment:
                times, _ = round_trips(deployment.port, n, wait=False)
                trip["split_p50"] = percentile(times, 50)
            trips.append(trip)
            log(f"queue round trips run {run_index + 1}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in trip.items()))
    finally:
        subprocess.run([str(REPO / "scripts" / "test-postgres"), "stop", postgres_dir], capture_output=True, stdin=subprocess.DEVNULL)

    held = []
    for _ in range(ctx.runs):
        ctx.wait_quiet()
        held.append(held_polls(ctx, 1000, 5 if ctx.quick else 10))
        log(f"queue held polls: {held[-1][0]:.1f} MB, {held[-1][1]:.4f} cores held, {held[-1][2]:.4f} before")

    ratio = {kind: [r[f"{kind}_lifted"] / r[f"{kind}_default"] for r in drains] for kind in ("all", "split", "pg")}
    split_factor = [t["split_p50"] / t["one_p50"] for t in trips]
    wait_factor = [t["wait_p50"] / t["base_p50"] for t in trips]
    submit_download = [(t["wait_submit_p50"] + t["wait_download_p50"]) / t["base_p50"] for t in trips]
    section.add(f"""
**What is measured.** (a) One user submits {backlog} echo requests at once on one keep-alive
connection, then polls each until its 303; the drain time runs from the first submission to
the last 303. Once with polytope.yaml's limits (`debug`: per-user 8, total 20; `max-active` 64)
and once with them lifted (overlay: total and per-user 1,000,000, `max-active` 1,000,000); the
ratio is lifted time / default time (1.0: the limits cost no throughput). Both on `serve --all`
and on two processes sharing one SQLite file (`--role frontend,broker,gc,telemetry` and
`--role worker,telemetry`), and on the same two processes with the request store in a local
PostgreSQL (scripts/test-postgres; staging stays on the shared filesystem). 20 requests warm
each server up first.
(b) Echo round trips as in benchmark 2 (submit, poll every 0.5 ms until the 303, download),
{n} after 10 warm-up, on `serve --all` and on the two processes above.
(c) The same round trip with long polls: one `GET /api/v1/requests/<id>?wait=30` answers at
the status change; baseline: three `GET /api/v1/test` on the same connection. Each trip is
also split into its submission (POST to 202), its long polls (from the 202 to the 303; a
poll answers at each status change, so an echo request needs one or two) and its download,
to show where the time goes: submission and download alone are two of the three exchanges
the target counts.
(d) A frontend and broker without workers holds 1,000 `?wait=60` polls on waiting requests,
one connection each; RSS growth from before the polls to when all are held, and the server's
CPU (cores) over {5 if ctx.quick else 10} s while they are held and nothing changes, against the
same server with the same waiting requests before the polls (its broker still runs a fallback
round every `broker.poll-interval`).

Targets (issue 10): drain ratio ≥ 0.9; split-role p50 ≤ 2× one process; long-poll round trip
p50 ≤ 2 ms and ≤ 2× the baseline.
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
            [f"(a) drain of {backlog}, two processes on PostgreSQL, default limits, s", figure([r["pg_default"] for r in drains], 2)],
            [f"(a) drain of {backlog}, two processes on PostgreSQL, lifted limits, s", figure([r["pg_lifted"] for r in drains], 2)],
            ["(a) drain ratio, two processes on PostgreSQL", figure(ratio["pg"], 2)],
            ["(b) echo round trip p50, one process, ms", figure([t["one_p50"] for t in trips], 2)],
            ["(b) echo round trip p50, two processes, ms", figure([t["split_p50"] for t in trips], 2)],
            ["(b) two processes / one process", figure(split_factor, 2)],
            ["(c) echo round trip p50 with ?wait=, ms", figure([t["wait_p50"] for t in trips], 2)],
            ["(c) baseline p50 (3 × GET /api/v1/test), ms", figure([t["base_p50"] for t in trips], 3)],
            ["(c) long-poll round trip / baseline", figure(wait_factor, 2)],
            ["(c) of which submission (POST to 202) p50, ms", figure([t["wait_submit_p50"] for t in trips], 2)],
            ["(c) of which long polls (202 to 303) p50, ms", figure([t["wait_polls_p50"] for t in trips], 2)],
            ["(c) of which download p50, ms", figure([t["wait_download_p50"] for t in trips], 2)],
            ["(c) long polls per round trip (mean)", figure([t["wait_polls"] for t in trips], 2)],
            ["(c) submission + download alone / baseline", figure(submit_download, 2)],
            ["(d) 1,000 held polls: RSS growth, MB", figure([h[0] for h in held], 1)],
            ["(d) 1,000 held polls: server CPU while idle, cores", figure([h[1] for h in held], 4)],
            ["(d) the same server before the polls, cores", figure([h[2] for h in held], 4)],
        ],
    ))
    for kind, label in (("all", "serve --all"), ("split", "two processes, one SQLite file"), ("pg", "two processes, PostgreSQL")):
        value = med(ratio[kind])
        section.row(f"8a. Drain ratio, {label}", num(value, 2), "≥ 0.9", status_of(value >= 0.9), "the same backlog with limits lifted")
    value = med(split_factor)
    section.row("8b. Echo round trip, roles in two processes", f"{num(med([t['split_p50'] for t in trips]), 2)} ms p50 = {num(value, 2)}× one process",
                "≤ 2×", status_of(value <= 2), "one process, same run")
    wait_p50, factor = med([t["wait_p50"] for t in trips]), med(wait_factor)
    section.row("8c. Echo round trip with long polls", f"{num(wait_p50, 2)} ms p50 = {num(factor, 2)}× baseline", "≤ 2 ms and ≤ 2×",
                status_of(wait_p50 <= 2 and factor <= 2), "3 × GET /api/v1/test, same connection")
    rss, extra = med([h[0] for h in held]), med([h[1] - h[2] for h in held])
    section.row("8d. 1,000 held long polls", f"+{num(rss, 1)} MB RSS, +{num(extra, 4)} cores while idle", "< 50 MB, ~0 CPU",
                status_of(rss < 50 and extra < 0.005), "the same server before the polls")
