"""Benchmark 7, throughput with two worker hosts against one (needs root).

Hosts are network namespaces on one bridge (scripts/netns_lan.py): PostgreSQL and
SeaweedFS on `db`, `polytope serve --role frontend,broker,telemetry` on `front`, and
`--role worker` on `w1` (and `w2`); the load comes from `client`. The datasource waits on
I/O (a dummy paced at a fixed rate), the case the issue names: a worker slot is busy
without using a core, so a second worker host should nearly double the throughput even on
this 2-core machine.
"""

import datetime
import http.client
import json
import os
import subprocess
import time
import uuid
from urllib.parse import urlsplit

from netns_lan import Lan  # scripts/netns_lan.py: scripts/ is on the path (scripts/bench.py)

from .processes import log
from .report import figure, med, num, status_of, table
from .server import AUTH, REPO

NAME = "scaleout"
TITLE = "7. Two worker hosts against one"
SUMMARY = "7. two worker hosts against one (network namespaces: PostgreSQL, S3; needs root)"

HOSTS = {"db": 1, "front": 2, "w1": 3, "w2": 4, "client": 10}
PORT = 8080
SLOTS = 4  # per worker host
RATE = 4 << 20  # bytes/s of the paced dummy datasource
SIZE = 1 << 20  # bytes per request: 0.25 s of waiting each
TARGET = 1.8


class Host:
    """A `polytope serve` process on one namespaced host."""

    def __init__(self, ctx, lan, host, roles, overlay):
        self.ctx, self.lan, self.host, self.roles, self.overlay = ctx, lan, host, roles, overlay
        self.directory = ctx.new_dir(f"scaleout-{host}")
        self.proc = None

    def start(self):
        command = [str(self.ctx.binary), "serve", "--role", self.roles, "--config", str(self.ctx.base_config),
                   "--config", str(self.ctx.common_overlay), "--config", str(self.overlay),
                   "--host", self.lan.address(self.host), "--port", str(PORT), "--data-dir", str(self.directory / "data")]
        self.log_path = self.directory / "server.log"
        with open(self.log_path, "ab") as log:
            self.proc = self.lan.popen(self.host, command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        with self.lan.inside("client"):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.host} exited:\n{self.log_path.read_text(errors='replace')[-2000:]}")
                try:
                    if self.get("/telemetry/v1/ready")[0] == 200:
                        return self
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.host} not ready after 60 s")
                time.sleep(0.1)

    def get(self, path, auth=None):
        connection = http.client.HTTPConnection(self.lan.address(self.host), PORT, timeout=30)
        try:
            connection.request("GET", path, headers={"Authorization": auth} if auth else {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _backend(ctx, lan, script):
    result = lan.run("db", [str(REPO / "scripts" / script), "start"], capture_output=True, text=True, timeout=900,
                     stdin=subprocess.DEVNULL, env={**os.environ, "POLYTOPE_TEST_LISTEN": lan.address("db")})
    if result.returncode != 0:
        raise RuntimeError(f"{script} start failed: {result.stderr.strip()[-1000:]}")
    return result.stdout.split()


def _one_run(ctx, lan, front_overlay, worker_overlay, workers, count):
    """Starts the hosts, submits `count` requests from the client host, returns the
    seconds from the first submission to the last `processed` (store timestamps)."""
    front = Host(ctx, lan, "front", "frontend,broker,telemetry", front_overlay).start()
    pools = [Host(ctx, lan, name, "worker,telemetry", worker_overlay).start() for name in ("w1", "w2")[:workers]]
    try:
        ctx.wait_quiet()
        with lan.inside("client"):
            connection = http.client.HTTPConnection(lan.address("front"), PORT, timeout=60)
            ids = []
            first = time.time()
            for n in range(count):
                body = json.dumps({"verb": "retrieve", "request": f"size: {SIZE}\nn: {n}"})
                connection.request("POST", "/api/v1/requests/io", body=body,
                                   headers={"Authorization": AUTH, "Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
                if response.status != 202:
                    raise RuntimeError(f"submission answered {response.status}: {data[:300]!r}")
                ids.append(urlsplit(response.getheader("Location")).path.rsplit("/", 1)[1])
            submitted = time.time() - first
            connection.close()
            deadline = time.monotonic() + 600
            while True:
                counts = json.loads(front.get("/telemetry/v1/summary")[1])["requestsByStatus"]
                if counts.get("processed", 0) + counts.get("failed", 0) >= count:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not finished after 600 s: {counts}")
                time.sleep(0.2)
            if counts.get("failed"):
                raise RuntimeError(f"{counts['failed']} requests failed")
            status, data = front.get(f"/telemetry/v1/requests?status=processed&limit={count}", auth=AUTH)
            if status != 200:
                raise RuntimeError(f"telemetry requests answered {status}")
            listed = json.loads(data)["message"]
        processed = [change["at"] for entry in listed for change in entry["history"] if change["status"] == "processed"]
        if len(processed) != count or {entry["id"] for entry in listed} != set(ids):
            raise RuntimeError(f"{len(processed)} processed entries for {count} requests")
        last = max(_epoch(at) for at in processed)
        return {"seconds": last - first, "submitted": submitted}
    finally:
        for host in [*pools, front]:
            host.stop()


def _epoch(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(ctx, section):
    unavailable = Lan.unavailable_reason()
    if unavailable:
        raise RuntimeError(f"this benchmark needs network namespaces: {unavailable}")
    count = 100 if ctx.quick else 400
    # The db host has no route to PyPI: install SeaweedFS from here first.
    subprocess.run([str(REPO / "scripts" / "test-seaweedfs"), "install"], check=True, timeout=900)
    lan = Lan(f"pb{os.getpid() % 100000}", HOSTS)
    lan.destroy()
    lan.create()
    backends = []
    try:
        postgres = _backend(ctx, lan, "test-postgres")
        backends.append(("test-postgres", postgres[1]))
        s3 = _backend(ctx, lan, "test-seaweedfs")
        backends.append(("test-seaweedfs", s3[1]))
        results = {1: [], 2: []}
        for run_index in range(ctx.runs):
            for workers in (1, 2):
                name = f"scaleout_{workers}_{run_index}_{uuid.uuid4().hex[:8]}"
                common = {
                    "store": {"type": "postgres", "url": postgres[0], "schema": name},
                    "staging": {"type": "s3", "endpoint": s3[0], "bucket": "polytope", "access-key": s3[2],
                                "secret-key": s3[3], "prefix": name + "/"},
                    "telemetry": {"admin-roles": ["default"]},
                    "collections": {"io": {"datasources": [{"name": "io", "type": "dummy", "rate": RATE}]}},
                }
                front_overlay = ctx.overlay(f"{name}-front", common)
                worker_overlay = ctx.overlay(f"{name}-worker", {**common, "worker": {"slots": SLOTS}})
                result = _one_run(ctx, lan, front_overlay, worker_overlay, workers, count)
                result["rate"] = count / result["seconds"]
                results[workers].append(result)
                log(f"scale-out run {run_index + 1}, {workers} worker host(s): {count} requests in {result['seconds']:.2f} s = {result['rate']:.1f}/s")
    finally:
        for script, directory in backends:
            lan.run("db", [str(REPO / "scripts" / script), "stop", directory], capture_output=True, timeout=120)
        lan.destroy()

    one = med([r["rate"] for r in results[1]])
    two = med([r["rate"] for r in results[2]])
    ratios = [r2["rate"] / r1["rate"] for r1, r2 in zip(results[1], results[2])]
    ideal = SLOTS * RATE / SIZE
    section.add(f"""
**What is measured.** Five network namespaces on one bridge stand for hosts on a LAN
(scripts/netns_lan.py): PostgreSQL and SeaweedFS (S3) on `db`; `polytope serve --role
frontend,broker,telemetry` on `front`; `--role worker` with `worker.slots: {SLOTS}` on `w1`, and
in the second configuration also on `w2`; the load from `client`. All processes share
nothing but the network: the request store is PostgreSQL, staging is S3. The collection
`io` has one datasource, a dummy paced at {RATE >> 20} MiB/s, so each request of {SIZE >> 20} MiB keeps a worker
slot waiting {SIZE / RATE:.2f} s without using a core, like a datasource that waits on an archive. {count}
requests are submitted at once from `client`; the time runs from the first submission to
the last `processed` instant in the store (from the admin telemetry listing). Each run
uses a fresh schema and staging prefix; the two configurations alternate.

The ideal rate is slots × rate / size: {ideal:.0f} requests/s per worker host.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["figure", "value"],
        [
            ["one worker host: requests/s", figure([r["rate"] for r in results[1]], 1)],
            ["two worker hosts: requests/s", figure([r["rate"] for r in results[2]], 1)],
            ["ratio (per run pair)", figure(ratios, 2)],
            ["one worker host: submission of all requests, s", figure([r["submitted"] for r in results[1]], 2)],
        ],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "1 host: s", "1 host: per s", "2 hosts: s", "2 hosts: per s", "ratio"],
        [[i, num(r1["seconds"], 2), num(r1["rate"], 1), num(r2["seconds"], 2), num(r2["rate"], 1), num(ratio, 2)]
         for i, (r1, r2, ratio) in enumerate(zip(results[1], results[2], ratios), 1)],
    ))
    ratio = med(ratios)
    section.row(f"7. Two worker hosts vs one ({count} I/O-bound requests, {SLOTS} slots each)",
                f"{num(two, 1)} vs {num(one, 1)} requests/s = {num(ratio, 2)}×", f"≥ {TARGET}×",
                status_of(ratio >= TARGET), f"ideal {ideal:.0f}/s per host")
