"""Benchmark 5, latency with 1,000,000 stored requests: submit and poll latency (wrk) of a
frontend,telemetry server on a store filled with a million requests as the server writes
them, against the same on an empty store."""

import json
import shutil
import sqlite3
import time

from .processes import log
from .report import figure, med, num, status_of, table
from .server import SUBMIT_BODY, SUBMIT_TEXT, Server, submit, wait_finished
from .storefill import UUID_SQL, copy_synced, finish_fill, open_for_fill, store_indexes
from .wrk import check_wrk, lua_script, run_wrk

NAME = "store"
TITLE = "5. Latency with 1,000,000 stored requests"
SUMMARY = "5. submit and poll latency with 1,000,000 stored requests against an empty store"

# The request text of the echo template: a typical MARS request.
MARS_TEXT = (
    "datasource: echo\nclass: od\nstream: oper\nexpver: 1\ntype: fc\nlevtype: sfc\nparam: 2t/msl/10u/10v/tp\n"
    "date: 20261128\ntime: 0000\nstep: 0/to/240/by/6\ngrid: 0.25/0.25\narea: 72/-27/33/45\n"
)


def make_million_store(ctx, rows):
    """A store with `rows` requests written as the server writes them. Templates of the
    texts and JSON come from real requests run by a server on the same file."""
    directory = ctx.new_dir("store-template")
    server = Server(ctx, "store-template", data_dir=directory / "data")
    with server:
        server.start()
        samples = {}
        for name, text in [("echo", MARS_TEXT), ("dummy", "datasource: dummy\nsize: 1048576\n"), ("raise", "datasource: raise\n")]:
            request_id, path = submit(server.port, text)
            wait_finished(server.port, path, sleep=0.01)
            samples[name] = request_id
    path = server.data_dir / "polytope.sqlite"
    db = open_for_fill(path)
    db.row_factory = sqlite3.Row
    templates = {name: dict(db.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()) for name, request_id in samples.items()}
    if templates["echo"]["status"] != "processed" or templates["raise"]["status"] != "failed":
        raise RuntimeError("sample requests did not end as expected")
    user_template = templates["echo"]["user_json"]
    history = json.loads(templates["echo"]["status_history"])
    if user_template.count('"demo"') != 1 or [e.get("status") for e in history] != ["waiting", "queued", "processing", "processed"] \
            or not all(isinstance(e.get("at"), (int, float)) and len(e) == 2 for e in history):
        raise RuntimeError(f"the server stores requests differently than this fill assumes: {user_template} {history}")
    db.row_factory = None
    db.execute("DELETE FROM requests")
    for f in (server.data_dir / "staging").iterdir():
        f.unlink()
    start = time.monotonic()
    indexes = store_indexes(db)
    db.execute("BEGIN")
    for name, _ in indexes:  # rebuilt after the insert with the server's own statements
        db.execute(f"DROP INDEX {name}")
    db.execute("CREATE TEMP TABLE tpl (k INTEGER PRIMARY KEY, datasource, status, request_text, request_normalised, user_message, content_type, content_length)")
    e, d, r = templates["echo"], templates["dummy"], templates["raise"]
    db.executemany("INSERT INTO tpl VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (0, "echo", "processed", e["request_text"], e["request_normalised"], e["user_message"], e["content_type"], e["content_length"]),
        (1, "dummy", "processed", d["request_text"], d["request_normalised"], d["user_message"], d["content_type"], d["content_length"]),
        (2, "raise", "failed", r["request_text"], r["request_normalised"], r["user_message"], None, None),
        (3, "echo", "waiting", e["request_text"], e["request_normalised"], "", None, None),
    ])
    db.execute("CREATE TEMP TABLE usr (json)")
    db.execute("INSERT INTO usr VALUES (?)", (user_template,))
    now = time.time()
    # Over the last day, in arrival order; 1,000 users; 0.5% waiting, 19.5% failed, 80% processed.
    db.execute(f"""
        WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?),
        g AS (SELECT i, lower(hex(randomblob(16))) AS h, ? + i * ? + (abs(random()) % 1000) / 1e6 AS c,
                     CASE WHEN i % 200 = 0 THEN 3 WHEN i % 200 < 40 THEN 2 ELSE i % 2 END AS k,
                     printf('user-%04d', ((i * 48271) % 2147483647) % 1000) AS u
              FROM s)
        INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history, user_message,
            request_text, request_normalised, staging_key, content_type, content_length, attempts, staged_bytes,
            lease_owner, lease_expires_at, created_at, updated_at)
        SELECT {UUID_SQL}, u, replace((SELECT json FROM usr), '"demo"', '"' || u || '"'),
            'retrieve', 'debug', t.datasource, t.status,
            CASE t.status WHEN 'waiting' THEN json_array(json_object('status', 'waiting', 'at', c))
                 ELSE json_array(json_object('status', 'waiting', 'at', c), json_object('status', 'queued', 'at', c + 0.002),
                                 json_object('status', 'processing', 'at', c + 0.003), json_object('status', t.status, 'at', c + 0.012)) END,
            t.user_message, t.request_text, t.request_normalised,
            CASE t.status WHEN 'processed' THEN '*' END, t.content_type, t.content_length,
            CASE t.status WHEN 'waiting' THEN 0 ELSE 1 END, 0, NULL, NULL,
            c, CASE t.status WHEN 'waiting' THEN c ELSE c + 0.012 END
        FROM g JOIN tpl t ON t.k = g.k
    """, (rows - 1, now - 86400, 86400 / rows))
    db.execute("UPDATE requests SET staging_key = id || '.1' WHERE staging_key = '*'")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    counts = dict(db.execute("SELECT status, count(*) FROM requests GROUP BY status").fetchall())
    users, = db.execute("SELECT count(DISTINCT username) FROM requests").fetchone()
    finish_fill(db)
    fill_seconds = time.monotonic() - start
    log(f"store: filled {sum(counts.values())} rows in {fill_seconds:.1f} s: {counts}, {users} users")
    return path, {"fill_seconds": fill_seconds, "counts": counts, "users": users, "size": path.stat().st_size}


def run(ctx, section):
    rows = 1_000_000
    seconds = 2 if ctx.quick else 10
    warmup = 1
    submit_lua = lua_script(ctx, "store-submit", "POST", SUBMIT_BODY)
    poll_lua = lua_script(ctx, "store-poll", "GET")
    template, fill = make_million_store(ctx, rows)
    results = {"empty": [], "filled": []}

    def measure(kind, run_index):
        ctx.wait_quiet()
        directory = ctx.new_dir(f"store-{kind}")
        data = directory / "data"
        if kind == "filled":
            data.mkdir()
            copy_synced(template, data / "polytope.sqlite")
        with Server(ctx, f"store-{kind}", roles="frontend,telemetry", data_dir=data) as server:
            server.start()
            startup = server.ready - server.spawned
            request_id, path = submit(server.port, SUBMIT_TEXT)
            out = {"startup": startup}
            for what, script, url in [("poll", poll_lua, server.url(path)), ("submit", submit_lua, server.url("/api/v1/requests/debug"))]:
                check_wrk(run_wrk(url, script, 1, 4, warmup, server.pid), f"{what} warm-up")
                result = run_wrk(url, script, 1, 4, seconds, server.pid)
                check_wrk(result, f"{what} {kind}")
                out[what] = result
            stored, = sqlite3.connect(data / "polytope.sqlite").execute("SELECT count(*) FROM requests").fetchone()
            out["stored"] = stored
        shutil.rmtree(directory, ignore_errors=True)
        results[kind].append(out)
        log(f"store {kind} run {run_index + 1}: submit p50 {out['submit']['p50']:.3f} ms p99 {out['submit']['p99']:.3f} ms; "
            f"poll p50 {out['poll']['p50']:.3f} ms p99 {out['poll']['p99']:.3f} ms")

    for run_index in range(ctx.runs):
        measure("empty", run_index)
        measure("filled", run_index)

    def med_of(kind, what, key):
        return med([r[what][key] for r in results[kind]])

    counts = fill["counts"]
    section.add(f"""
**What is measured.** A server with `--role frontend,telemetry` (no broker, worker or garbage
collector: nothing dispatches or deletes during the measurement). Per run: start it, submit
one request, then wrk `-t1 -c4` for {seconds} s (after {warmup} s of warm-up) polling that
request (`GET /api/v1/requests/<id>`, answers 202), then for {seconds} s submitting (POST as in
benchmark 1). Every answer must be 2xx (wrk's non-2xx count must be 0). Latencies are wrk's.

- **Empty store:** a fresh data directory for every run.
- **1,000,000 stored requests:** a copy, for every run (flushed to disk with fsync before the
  server starts), of a store filled once: the server
  creates the schema (and runs three sample requests whose stored texts and JSON serve as
  templates), then Python's `sqlite3` inserts {rows:,} rows in one transaction (the server's
  indexes dropped first and recreated afterwards with the server's own statements): unique
  lowercase UUIDs, {fill['users']:,} users, created over the last day in arrival order,
  {counts.get('processed', 0):,} processed (echo and 1 MiB dummy, with staging keys),
  {counts.get('failed', 0):,} failed (raise), {counts.get('waiting', 0):,} waiting; `user_json`,
  `status_history` and `request_normalised` as the server writes them. The fill took
  {fill['fill_seconds']:.1f} s; the file is {fill['size'] / 1e6:,.0f} MB. No `ANALYZE` is run
  (the server does not run it either).

The runs alternate: empty, filled, empty, filled, ...
""")
    table_rows = []
    for what in ("submit", "poll"):
        for key, label in (("p50", "p50 ms"), ("p99", "p99 ms"), ("rps", "requests/s")):
            digits = 0 if key == "rps" else 3
            empty = [r[what][key] for r in results["empty"]]
            filled = [r[what][key] for r in results["filled"]]
            table_rows.append([what, label, figure(empty, digits), figure(filled, digits), num(med(filled) / med(empty), 2)])
    table_rows.append(["startup", "spawn → answering, s", figure([r["startup"] for r in results["empty"]], 2), figure([r["startup"] for r in results["filled"]], 2), "—"])
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(["operation", "figure", "empty store", "1,000,000 requests", "ratio"], table_rows))
    raw = []
    for kind in ("empty", "filled"):
        for i, r in enumerate(results[kind], 1):
            raw.append([kind, i, num(r["submit"]["p50"], 3), num(r["submit"]["p99"], 3), num(r["submit"]["rps"]), num(r["poll"]["p50"], 3), num(r["poll"]["p99"], 3), num(r["poll"]["rps"]),
                        num(r["stored"]), f"{num(r['submit']['server_cores'], 2)} / {num(r['poll']['server_cores'], 2)}", f"{num(r['submit']['other_cores'], 2)} / {num(r['poll']['other_cores'], 2)}"])
    section.add("Raw runs:\n\n" + table(["store", "run", "submit p50 ms", "submit p99 ms", "submit req/s", "poll p50 ms", "poll p99 ms", "poll req/s", "rows at the end", "server cores (submit / poll)", "other cores (submit / poll)"], raw))
    for what in ("submit", "poll"):
        for key in ("p50", "p99"):
            e, f = med_of("empty", what, key), med_of("filled", what, key)
            section.row(f"5. {what.capitalize()} {key} with 1,000,000 requests", f"{num(f, 3)} ms = {num(f / e, 2)} × empty", "≤ 1.2 × empty store",
                        status_of(f / e <= 1.2), f"empty store: {num(e, 3)} ms")
