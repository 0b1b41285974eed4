"""Benchmark 1, submit throughput: wrk posts echo requests to a frontend-only server (fresh
data directory per run) with 32 and 64 connections, in durability normal and full; every
answer must be 202 and every answer stored. Baseline: raw SQLite commits of ~1 KB rows."""

import sqlite3
import time
import uuid
from pathlib import Path

from .processes import log
from .report import figure, med, num, status_of, table
from .server import SUBMIT_BODY, SUBMIT_TEXT, Server
from .wrk import check_wrk, lua_script, run_wrk

NAME = "submit"
TITLE = "1. Submit throughput"
SUMMARY = "1. submit throughput (frontend only, wrk), durability normal and full"


def sqlite_commit_rate(path, synchronous, seconds):
    """Raw SQLite: one ~1 KB row per transaction, WAL, the given synchronous mode."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)  # autocommit: one transaction per INSERT
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        db.execute("CREATE TABLE rows (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)")
        payload = ("datasource: echo\nparam: 2t/msl\n" * 40)[:960]
        count = 0
        start = time.monotonic()
        end = start + seconds
        while True:
            db.execute("INSERT INTO rows (id, body) VALUES (?, ?)", (str(uuid.uuid4()), payload))
            count += 1
            if time.monotonic() >= end:
                break
        elapsed = time.monotonic() - start
    finally:
        db.close()
    return count / elapsed


def run(ctx, section):
    quick = ctx.quick
    seconds = 2 if quick else 10
    warmup = 1 if quick else 2
    probe_seconds = 2 if quick else 3
    base_seconds = 1 if quick else 3
    post = lua_script(ctx, "submit", "POST", SUBMIT_BODY)
    modes = {"normal": [], "full": [ctx.overlay("durability-full", {"store": {"durability": "full"}})]}

    def fresh_server(mode, label):
        return Server(ctx, label, roles="frontend", overlays=modes[mode]).start()

    # Which wrk thread count leaves the server the most CPU?
    probes = []
    for threads in (1, 2) if quick else (1, 2, 1, 2):
        ctx.wait_quiet()
        with fresh_server("normal", f"submit-probe-t{threads}") as server:
            url = server.url("/api/v1/requests/debug")
            run_wrk(url, post, threads, 64, 1, server.pid)
            result = run_wrk(url, post, threads, 64, probe_seconds, server.pid)
            check_wrk(result, "probe")
            probes.append(result)
    probe_cores = {t: med([p["server_cores"] for p in probes if p["threads"] == t]) for t in (1, 2)}
    chosen = max(probe_cores, key=probe_cores.get)
    log(f"submit: wrk -t{chosen} gives the server the most CPU")

    results = {}
    for mode in modes:
        for connections in (32, 64):
            results[(mode, connections)] = []
    for run_index in range(ctx.runs):
        for mode in modes:
            for connections in (32, 64):
                ctx.wait_quiet()
                with fresh_server(mode, f"submit-{mode}-c{connections}") as server:
                    url = server.url("/api/v1/requests/debug")
                    warm = run_wrk(url, post, chosen, connections, warmup, server.pid)
                    check_wrk(warm, "warm-up")
                    result = run_wrk(url, post, chosen, connections, seconds, server.pid)
                    check_wrk(result, f"submit {mode} c{connections}")
                    server.stop()
                    db = sqlite3.connect(server.data_dir / "polytope.sqlite")
                    stored, = db.execute("SELECT count(*) FROM requests").fetchone()
                    text, status, size = db.execute(
                        "SELECT request_text, status, length(user_json) + length(status_history) + length(request_text)"
                        " + length(request_normalised) + 200 FROM requests LIMIT 1"
                    ).fetchone()
                    db.close()
                    answered = warm["requests"] + result["requests"]
                    if text != SUBMIT_TEXT or status != "waiting":
                        raise RuntimeError(f"stored request is {text!r} ({status}), expected {SUBMIT_TEXT!r} (waiting)")
                    if not answered <= stored <= answered + 2 * connections:
                        raise RuntimeError(f"{answered} requests answered 202 but {stored} stored")
                    result["stored"] = stored
                    result["answered"] = answered
                    result["row_bytes"] = size
                    results[(mode, connections)].append(result)
                    log(f"submit {mode} c{connections} run {run_index + 1}: {result['rps']:.0f} req/s, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms")

    baseline = {"NORMAL": [], "FULL": []}
    base_dir = ctx.new_dir("sqlite-baseline")
    for run_index in range(ctx.runs):
        for synchronous in baseline:
            ctx.wait_quiet()
            rate = sqlite_commit_rate(base_dir / f"baseline-{synchronous}.sqlite", synchronous, base_seconds)
            baseline[synchronous].append(rate)
            log(f"sqlite synchronous={synchronous} run {run_index + 1}: {rate:.0f} commits/s")

    row_bytes = results[("normal", 32)][0]["row_bytes"]
    section.add(f"""
**What is measured.** A server with `--role frontend` only (no broker or worker competes for
the CPU; requests stay `waiting`), on a fresh data directory for every run. wrk posts
`{SUBMIT_BODY}` (`Content-Type: application/json`, Basic auth `demo:demo`) to
`/api/v1/requests/debug` for {seconds} s after a {warmup} s warm-up, with 32 and with 64
connections, in both durability modes: `store: {{durability: normal}}` (polytope.yaml) and
`store: {{durability: full}}` (an overlay; an fsync per commit). Every answer must be 202:
the run fails if wrk reports non-2xx answers or socket errors, if fewer rows are stored than
answers counted, or if the stored text is not the request text. Latencies are wrk's
(`--latency`, closed loop). CPU columns: cores used during the run by the server, by wrk,
and by everything else on the machine.

**wrk threads.** Before the runs, `wrk -t1` and `wrk -t2` were each run {len(probes) // 2}
time(s) for {probe_seconds} s with 64 connections (durability normal, fresh server each); the
suite uses the one that left the server the most CPU (median server cores: -t1
{probe_cores[1]:.2f}, -t2 {probe_cores[2]:.2f}): **-t{chosen}**.

**Baseline** (same run, same filesystem as the data directory): Python's `sqlite3` inserting
~1 KB rows (a stored echo request is about {row_bytes} bytes) into a WAL database, one
transaction per row, for {base_seconds} s per run, with `synchronous=NORMAL` and with
`synchronous=FULL` (a naive fsync per commit).
""")
    section.add(table(
        ["wrk threads (probe)", "requests/s", "p50 ms", "p99 ms", "server cores", "wrk cores", "other cores"],
        [[f"-t{p['threads']}", num(p["rps"]), num(p["p50"], 2), num(p["p99"], 2), num(p["server_cores"], 2), num(p["client_cores"], 2), num(p["other_cores"], 2)] for p in probes],
    ))
    rows = []
    for (mode, connections), runs in results.items():
        rows.append([mode, connections, figure([r["rps"] for r in runs]), figure([r["p50"] for r in runs], 2), figure([r["p99"] for r in runs], 2)])
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(["durability", "connections", "submits/s", "p50 ms", "p99 ms"], rows))
    base_rows = [[f"synchronous={s}", figure(v)] for s, v in baseline.items()]
    section.add("**Baseline, raw SQLite** (commits/s):\n\n" + table(["mode", "commits/s"], base_rows))
    raw = []
    for (mode, connections), runs in results.items():
        for i, r in enumerate(runs, 1):
            raw.append([mode, connections, i, num(r["rps"]), num(r["p50"], 2), num(r["p99"], 2), num(r["answered"]), num(r["stored"]), num(r["server_cores"], 2), num(r["client_cores"], 2), num(r["other_cores"], 2)])
    section.add("Raw runs:\n\n" + table(["durability", "conns", "run", "req/s", "p50 ms", "p99 ms", "202 answers (warm-up + run)", "rows stored", "server cores", "wrk cores", "other cores"], raw))
    section.add("Raw baseline runs (commits/s): " + "; ".join(f"{s}: " + ", ".join(num(v) for v in vs) for s, vs in baseline.items()))

    for (mode, connections), runs in results.items():
        rps = med([r["rps"] for r in runs])
        base = med(baseline["NORMAL" if mode == "normal" else "FULL"])
        section.row(
            f"1. Submit, durability {mode}, {connections} connections",
            f"{num(rps)} submits/s (p50 {num(med([r['p50'] for r in runs]), 2)} ms, p99 {num(med([r['p99'] for r in runs]), 2)} ms)",
            "≥ 5,000 submits/s",
            status_of(rps >= 5000),
            f"raw SQLite synchronous={'NORMAL' if mode == 'normal' else 'FULL'}: {num(base)} commits/s",
        )
