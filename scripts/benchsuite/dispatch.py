"""Benchmark 6, broker dispatch rate: with 100,000 waiting requests of 1,000 users under a
per-user limit of 2, (a) the time of a broker's first dispatch round and (b) the processed
rate of the whole pipeline with 8 worker slots, from the store's status history."""

import json
import shutil
import sqlite3
import subprocess
import time

from .processes import command_output, log
from .report import figure, med, num, table
from .server import CpuMeter, Server, submit, summary
from .storefill import UUID_SQL, copy_synced, finish_fill, open_for_fill, store_indexes

NAME = "dispatch"
TITLE = "6. Broker dispatch rate with 100,000 waiting requests"
SUMMARY = "6. broker dispatch rate with 100,000 waiting requests under per-user limits"


def make_waiting_store(ctx, rows, users):
    directory = ctx.new_dir("dispatch-template")
    server = Server(ctx, "dispatch-template", roles="frontend", data_dir=directory / "data")
    with server:
        server.start()
        sample_id, _ = submit(server.port, "datasource: echo\nn: 0")
    path = server.data_dir / "polytope.sqlite"
    db = open_for_fill(path)
    sample = db.execute("SELECT request_text, request_normalised, user_json, status_history, user_message FROM requests WHERE id = ?", (sample_id,)).fetchone()
    expected = ("datasource: echo\nn: 0", '[["datasource",["echo"]],["n",["0"]]]')
    history = json.loads(sample[3])
    if sample[:2] != expected or sample[4] != "" or sample[2].count('"demo"') != 1 or '"default"' not in sample[2] \
            or len(history) != 1 or history[0].get("status") != "waiting" or len(history[0]) != 2:
        raise RuntimeError(f"the server stores a waiting echo request differently than this fill assumes: {sample}")
    db.execute("DELETE FROM requests")
    db.execute("CREATE TEMP TABLE usr (json)")
    db.execute("INSERT INTO usr VALUES (?)", (sample[2],))
    per_user = rows // users
    start = time.monotonic()
    indexes = store_indexes(db)
    db.execute("BEGIN")
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    # User by user: user-0000's requests first, then user-0001's... so that the last two
    # admissions of a dispatch round are in its last page.
    db.execute(f"""
        WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?),
        g AS (SELECT i, lower(hex(randomblob(16))) AS h, ? + i * 0.03 AS c, printf('user-%04d', i / ?) AS u FROM s)
        INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history, user_message,
            request_text, request_normalised, attempts, staged_bytes, created_at, updated_at)
        SELECT {UUID_SQL}, u, replace((SELECT json FROM usr), '"demo"', '"' || u || '"'),
            'retrieve', 'debug', 'echo', 'waiting', json_array(json_object('status', 'waiting', 'at', c)), '',
            'datasource: echo' || char(10) || 'n: ' || i, '[["datasource",["echo"]],["n",["' || i || '"]]]', 0, 0, c, c
        FROM g
    """, (rows - 1, time.time() - 3600, per_user))
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    finish_fill(db)
    log(f"dispatch: filled {rows} waiting requests in {time.monotonic() - start:.1f} s")
    return path


def per_user_max_active(db):
    """The most requests one user had queued or processing at the same time, from status_history."""
    events = {}
    for username, history in db.execute("SELECT username, status_history FROM requests WHERE status != 'waiting'"):
        entries = json.loads(history)
        began = next((e["at"] for e in entries if e["status"] == "queued"), None)
        ended = next((e["at"] for e in entries if e["status"] in ("processed", "failed")), None)
        if began is None:
            continue
        events.setdefault(username, []).append((began, 1))
        if ended is not None:
            events.setdefault(username, []).append((ended, -1))
    worst = 0
    for items in events.values():
        active = 0
        for _, delta in sorted(items, key=lambda e: (e[0], e[1])):  # an end before a start at the same instant
            active += delta
            worst = max(worst, active)
    return worst


def run(ctx, section):
    rows, users = 100_000, 1_000
    target = 3_000 if ctx.quick else 20_000
    template = make_waiting_store(ctx, rows, users)
    limits = ctx.overlay("dispatch-limits", {"collections": {"debug": {"limits": {"total": rows, "per-user": 2}}}, "broker": {"max-active": rows}})
    slots = ctx.overlay("dispatch-slots", {"worker": {"slots": 8}})
    check = subprocess.run([str(ctx.binary), "config", "check", "--quiet", str(ctx.base_config), str(ctx.common_overlay), str(limits), str(slots)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"the overlay is not valid: {check.stderr}")
    merged = command_output([str(ctx.binary), "config", "check", str(ctx.base_config), str(ctx.common_overlay), str(limits), str(slots)])
    if "per-user: 2" not in merged or "name: echo" not in merged or "max-active: 100000" not in merged:
        raise RuntimeError(f"the merged configuration lacks the limits or the datasources:\n{merged}")

    rounds, pipelines = [], []
    for run_index in range(ctx.runs):
        # (a) the first dispatch round of a broker over 100,000 waiting requests
        ctx.wait_quiet()
        data = ctx.new_dir("dispatch-round") / "data"
        data.mkdir()
        copy_synced(template, data / "polytope.sqlite")
        with Server(ctx, "dispatch-round", roles="broker,telemetry", overlays=[limits], data_dir=data) as server:
            with CpuMeter([]) as meter:
                server.start(wait=False)
                meter.pids, meter.ticks = [server.pid], [0]
                server.wait_ready()
                up = time.monotonic() - server.spawned
                summaries = 0
                while True:
                    queued = summary(server.port)["requestsByStatus"].get("queued", 0)
                    summaries += 1
                    if queued >= 2 * users:
                        break
                    if time.monotonic() - server.spawned > 600:
                        raise RuntimeError(f"only {queued} queued after 600 s")
                    time.sleep(0.25)
                polled = time.monotonic() - server.spawned
            server.stop()
            db = sqlite3.connect(data / "polytope.sqlite")
            last_queued, = db.execute(
                "SELECT max(json_extract(value, '$.at')) FROM requests, json_each(requests.status_history)"
                " WHERE status = 'queued' AND json_extract(value, '$.status') = 'queued'"
            ).fetchone()
            counts = dict(db.execute("SELECT status, count(*) FROM requests GROUP BY status").fetchall())
            max_user, = db.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM requests WHERE status = 'queued' GROUP BY username)").fetchone()
            db.close()
            if counts.get("queued") != 2 * users or max_user != 2:
                raise RuntimeError(f"after the round: {counts}, at most {max_user} queued per user")
        seconds = last_queued - server.spawned_wall
        rounds.append({"seconds": seconds, "polled": polled, "up": up, "summaries": summaries, **meter.as_dict()})
        log(f"dispatch round run {run_index + 1}: 2,000 queued after {seconds:.2f} s (poll: {polled:.2f} s)")
        shutil.rmtree(data.parent, ignore_errors=True)

        # (b) the whole pipeline, serve --all with 8 worker slots, until 20,000 processed
        ctx.wait_quiet()
        data = ctx.new_dir("dispatch-pipeline") / "data"
        data.mkdir()
        copy_synced(template, data / "polytope.sqlite")
        with Server(ctx, "dispatch-pipeline", overlays=[limits, slots], data_dir=data) as server:
            with CpuMeter([]) as meter:
                server.start(wait=False)
                meter.pids, meter.ticks = [server.pid], [0]
                server.wait_ready()
                while True:
                    processed = summary(server.port)["requestsByStatus"].get("processed", 0)
                    polled = time.monotonic() - server.spawned
                    if processed >= target:
                        break
                    if polled > 1800:
                        raise RuntimeError(f"only {processed} processed after 1800 s")
                    time.sleep(1)
            server.stop()
            db = sqlite3.connect(data / "polytope.sqlite")
            counts = dict(db.execute("SELECT status, count(*) FROM requests GROUP BY status").fetchall())
            times = sorted(t for t, in db.execute(
                "SELECT json_extract(value, '$.at') FROM requests, json_each(requests.status_history)"
                " WHERE status = 'processed' AND json_extract(value, '$.status') = 'processed'"))
            worst = per_user_max_active(db)
            db.close()
        if counts.get("failed"):
            raise RuntimeError(f"{counts['failed']} requests failed in the pipeline run")
        if worst > 2:
            raise RuntimeError(f"a user had {worst} requests active at once; the per-user limit is 2")
        if len(times) < target:
            raise RuntimeError(f"the summary showed {processed} processed but the store has {len(times)}")
        seconds = times[target - 1] - server.spawned_wall
        tenth = times[target // 10 - 1] - server.spawned_wall
        steady = (target - target // 10) / (seconds - tenth)
        pipelines.append({"seconds": seconds, "polled": polled, "rate": target / seconds, "steady": steady,
                          "tenth": tenth, "worst": worst, "final": counts, **meter.as_dict()})
        log(f"dispatch pipeline run {run_index + 1}: {target} processed after {seconds:.1f} s = {target / seconds:.0f}/s (steady {steady:.0f}/s), per-user max {worst}")
        shutil.rmtree(data.parent, ignore_errors=True)

    section.add(f"""
**What is measured.** A store with {rows:,} `waiting` requests of collection `debug` from
{users:,} users ({rows // users} each), written by Python's `sqlite3` into the schema the server
created (checked against a request the server stored itself): datasource `echo`, request
text `datasource: echo\\nn: <i>`. They are stored user by user (all of `user-0000`'s
requests, then `user-0001`'s, ...), so a broker must read every page before it has admitted
each user's two requests. Overlay: `collections.debug.limits: {{total: {rows}, per-user: 2}}`
and `broker.max-active: {rows}` (the collection's `datasources` and `per-role` are kept from
polytope.yaml: mappings merge; checked with `polytope config check`). Every run uses a fresh
copy of the filled file, flushed to disk before the server starts.

Times are taken from the store, exactly: each request's `status_history` records when it
became `queued` and `processed`; a time is that instant minus the instant the server process
was spawned. `GET /telemetry/v1/summary` is polled only to know when to stop: with
{rows:,} rows each call costs the server tens of milliseconds of CPU (a count over the
table), so polling it faster would slow down what is measured. The poll-based times are
shown too.

- **(a) First dispatch round:** `--role broker,telemetry`, summary polled every 250 ms until
  `requestsByStatus.queued` = 2,000 (each user's 2). With this order, the 2,000th admission
  ends the whole first round over the {rows:,} waiting requests. Reported: the time of the
  last `queued`, {rows:,} / time (waiting requests examined per second) and 2,000 / time
  (requests admitted per second). The store is checked afterwards: 2,000 queued, at most 2 per
  user.
- **(b) Pipeline:** `serve --all` with `worker.slots: 8`, summary polled every second until it
  shows {target:,} `processed`. Reported: the time at which the {target:,}th request was
  processed, {target:,} / that time, and the "steady" rate between the {target // 10:,}th and the
  {target:,}th. Afterwards the per-user limit is checked from every request's
  `status_history` (the most requests of one user between `queued` and `processed` at the
  same time) and no request may have failed.

There is no target for this benchmark.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["figure", "value"],
        [
            ["(a) first round: time to 2,000 queued, s", figure([r["seconds"] for r in rounds], 3)],
            ["(a) same, seen by polling the summary (250 ms), s", figure([r["polled"] for r in rounds], 3)],
            ["(a) process spawn until telemetry answers, s", figure([r["up"] for r in rounds], 3)],
            ["(a) waiting requests examined per second", figure([rows / r["seconds"] for r in rounds])],
            ["(a) requests admitted (queued) per second", figure([2 * users / r["seconds"] for r in rounds])],
            [f"(b) time to {target:,} processed, s", figure([r["seconds"] for r in pipelines], 2)],
            ["(b) processed per second (from spawn)", figure([r["rate"] for r in pipelines])],
            [f"(b) processed per second (steady, {target // 10:,}th to {target:,}th)", figure([r["steady"] for r in pipelines])],
            ["(b) most requests active at once for one user", str(max(r["worst"] for r in pipelines))],
        ],
    ))
    section.add("Raw runs (cores: used by the server process, and by everything outside this suite, during the run):\n\n" + table(
        ["run", "(a) s", "(a) polled s", "(a) up s", "(a) summaries", "(a) server cores", "(a) other cores", "(b) s", "(b) per s", "(b) steady per s", "(b) polled s", "(b) server cores", "(b) other cores", "(b) store at the end"],
        [[i, num(a["seconds"], 3), num(a["polled"], 3), num(a["up"], 3), a["summaries"], num(a["server_cores"], 2), num(a["other_cores"], 2),
          num(b["seconds"], 2), num(b["rate"]), num(b["steady"]), num(b["polled"], 1), num(b["server_cores"], 2), num(b["other_cores"], 2),
          ", ".join(f"{k} {v:,}" for k, v in sorted(b["final"].items()))]
         for i, (a, b) in enumerate(zip(rounds, pipelines), 1)],
    ))
    a = med([r["seconds"] for r in rounds])
    section.row("6a. First dispatch round over 100,000 waiting (per-user 2)", f"{num(a, 2)} s: {num(rows / a)} examined/s, {num(2 * users / a)} admitted/s", "none", "reported", "—")
    section.row(f"6b. Pipeline, {target:,} echo requests, 8 slots, per-user 2", f"{num(med([r['rate'] for r in pipelines]))} processed/s (steady {num(med([r['steady'] for r in pipelines]))}/s)", "none", "reported", "—")
