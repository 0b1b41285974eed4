#!/usr/bin/env python3
"""Benchmark suite of polytope: measures the service and writes docs/benchmarks.md.

Run it through scripts/bench (which installs the tools and builds the release binary).
Python 3 standard library only; the load comes from wrk, curl, dd, cat and nginx.

Benchmarks (names for --only):
  submit    1. submit throughput (frontend only, wrk), durability normal and full
  echo      2. echo round trip (submit, poll until 303, download), sequential
  dummy     3. 1 GiB dummy end to end, with the server's peak RSS
  download  4. download throughput of a staged 1 GiB result against nginx
  store     5. submit and poll latency with 1,000,000 stored requests against an empty store
  dispatch  6. broker dispatch rate with 100,000 waiting requests under per-user limits
  scaleout  7. two worker hosts against one (network namespaces: PostgreSQL, S3; needs root)

Every server is started by this script on a free loopback port with its own temporary data
directory and a generated configuration (polytope.yaml plus overlays), and stopped with
SIGTERM at the end, also on failure.
"""

import argparse
import base64
import ctypes
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import bench_scaleout  # benchmark 7, in its own file (needs root: network namespaces)

REPO = Path(__file__).resolve().parent.parent
AUTH = "Basic " + base64.b64encode(b"demo:demo").decode()
GIB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")
ANALYSIS_START = "<!-- analysis:start -->"
ANALYSIS_END = "<!-- analysis:end -->"
ANALYSIS_PLACEHOLDER = (
    "_No analysis yet. Write the explanations of the figures here, between the analysis markers: "
    "scripts/bench keeps this text when it rewrites the file._"
)
REFERENCE_PARAGRAPH = (
    "For comparison, the original Python server (polytope-server, with RabbitMQ as its queue), "
    "measured on this kind of machine: about 45 submits/s, an echo round trip of about 0.8 s, "
    "and about 40 MB/s for a 100 MB dummy request end to end."
)
SUBMIT_TEXT = "datasource: echo\nparam: 2t/msl\n"
# The body wrk posts: JSON, so the request text carries the two characters backslash-n.
SUBMIT_BODY = json.dumps({"verb": "retrieve", "request": SUBMIT_TEXT})
BENCHMARKS = ["submit", "echo", "dummy", "download", "store", "dispatch", "scaleout"]


# ---------------------------------------------------------------------------------------
# Processes: every child is registered and stopped at the end, whatever happens.
# ---------------------------------------------------------------------------------------

_children = []  # (Popen, label)


def _die_with_parent():
    """Runs in the child before exec: it gets SIGTERM if this runner dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(cmd, label, **kwargs):
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent, start_new_session=True, **kwargs)
    _children.append((proc, label))
    return proc


def stop_process(proc, label, sig=signal.SIGTERM, timeout=90):
    """SIGTERM, wait; SIGKILL only if it does not stop in time. Returns (exit code, note)."""
    note = None
    if proc.poll() is not None:
        _children[:] = [(p, l) for p, l in _children if p is not proc]
        return proc.returncode, f"{label} had exited by itself (status {proc.returncode}) before it was stopped"
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            note = f"{label} did not stop within {timeout} s of {signal.Signals(sig).name}; killed"
            proc.kill()
            proc.wait()
    _children[:] = [(p, l) for p, l in _children if p is not proc]
    return proc.returncode, note


def stop_all_children():
    for proc, label in list(_children):
        log(f"stopping {label} (pid {proc.pid})")
        stop_process(proc, label, timeout=60)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def copy_synced(source, target):
    """Copies a store file and flushes the copy to disk, so that the server's first checkpoint
    does not have to write back the whole copy (that would show up as a latency spike)."""
    shutil.copyfile(source, target)
    with open(target, "rb+") as f:
        os.fsync(f.fileno())
    fd = os.open(os.path.dirname(target), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------
# CPU accounting: how busy were the server, the load generator and everything else.
# ---------------------------------------------------------------------------------------


def process_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def system_busy_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return sum(values[:3]) + sum(values[5:8])


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class CpuMeter:
    """Cores used during a block: by the given processes, by this runner and its waited-for
    children (wrk, curl, dd...), by the whole machine; 'other' is what is left (other users)."""

    def __init__(self, pids=()):
        self.pids = list(pids)

    def __enter__(self):
        self.wall = time.monotonic()
        self.busy = system_busy_ticks()
        self.ticks = [process_ticks(p) for p in self.pids]
        t = os.times()
        self.client = t.user + t.system + t.children_user + t.children_system
        return self

    def __exit__(self, *exc):
        wall = max(time.monotonic() - self.wall, 1e-6)
        t = os.times()
        self.client_cores = (t.user + t.system + t.children_user + t.children_system - self.client) / wall
        self.server_cores = sum(process_ticks(p) - s for p, s in zip(self.pids, self.ticks)) / CLK_TCK / wall
        self.machine_cores = (system_busy_ticks() - self.busy) / CLK_TCK / wall
        self.other_cores = max(0.0, self.machine_cores - self.server_cores - self.client_cores)
        return False

    def as_dict(self):
        return {
            "server_cores": round(self.server_cores, 2),
            "client_cores": round(self.client_cores, 2),
            "other_cores": round(self.other_cores, 2),
        }


# ---------------------------------------------------------------------------------------
# Context, servers, HTTP helpers
# ---------------------------------------------------------------------------------------


class Context:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.runs = args.runs or (2 if args.quick else 5)
        base = os.environ.get("POLYTOPE_BENCH_TMPDIR") or None
        self.tmp = Path(tempfile.mkdtemp(prefix="polytope-bench-", dir=base))
        # Snapshots taken at the start, so that a rebuild or an edit during the suite does not
        # mix two versions in one document.
        self.original_binary = Path(args.binary).absolute()
        self.binary = self.tmp / "polytope"
        shutil.copy2(self.original_binary, self.binary)
        self.base_config = self.tmp / "polytope.yaml"
        shutil.copy2(REPO / "polytope.yaml", self.base_config)
        self.notes = []  # problems seen (server exit codes, busy machine...)
        self.busy_runs = 0
        self.quiet_waited = 0.0
        self._counter = 0
        common = self.tmp / "common.yaml"
        # Per-request info lines are turned off: the figures measure the service, not its log.
        common.write_text(json.dumps({"logging": {"level": args.log_level, "format": "text"}}) + "\n")
        self.common_overlay = common

    def new_dir(self, name):
        self._counter += 1
        path = self.tmp / f"{self._counter:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def overlay(self, name, content):
        path = self.tmp / f"overlay-{name}.yaml"
        path.write_text(json.dumps(content, indent=2) + "\n")  # JSON is YAML
        return path

    def note(self, text):
        log("NOTE: " + text)
        self.notes.append(text)

    def wait_quiet(self):
        """Waits (up to --max-quiet-wait seconds) until nothing else uses more than
        --quiet-threshold cores, so that another user's build does not skew a run."""
        os.sync()  # no write-back of an earlier run's files during this one
        limit = min(self.args.max_quiet_wait, max(0.0, self.args.max_quiet_total - self.quiet_waited))
        start = time.monotonic()
        announced = False
        while True:
            busy = system_busy_ticks()
            time.sleep(0.5)
            cores = (system_busy_ticks() - busy) / CLK_TCK / 0.5
            if cores <= self.args.quiet_threshold:
                self.quiet_waited += time.monotonic() - start
                return True
            waited = time.monotonic() - start
            if waited >= limit:
                self.quiet_waited += waited
                self.busy_runs += 1
                log(f"machine still busy ({cores:.2f} cores used by others) after {waited:.0f} s; running anyway")
                return False
            if not announced:
                log(f"machine busy ({cores:.2f} cores used by others); waiting up to {limit:.0f} s for it to calm down")
                announced = True


class Server:
    """One `polytope serve` process with its own data directory and generated configuration."""

    def __init__(self, ctx, label, roles=None, overlays=(), data_dir=None):
        self.ctx = ctx
        self.label = label
        self.roles = roles  # None: --all
        self.overlays = list(overlays)
        self.data_dir = Path(data_dir) if data_dir else ctx.new_dir(label) / "data"
        self.proc = None
        self.port = None

    @property
    def pid(self):
        return self.proc.pid

    def config_files(self):
        return [self.ctx.base_config, self.ctx.common_overlay] + self.overlays

    def start(self, wait=True):
        self.port = free_port()
        self.log_path = self.data_dir.parent / f"server-{self.label}-{self.port}.log"
        cmd = [str(self.ctx.binary), "serve"]
        cmd += ["--all"] if self.roles is None else ["--role", self.roles]
        for config in self.config_files():
            cmd += ["--config", str(config)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.command = cmd
        self.log_file = open(self.log_path, "ab")
        self.spawned_wall = time.time()
        self.spawned = time.monotonic()
        self.proc = spawn(cmd, f"polytope {self.label}", stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=REPO)
        if wait:
            self.wait_ready()
        return self

    def health_path(self):
        if self.roles is None or "frontend" in self.roles:
            return "/api/v1/test"
        return "/telemetry/v1/health"

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.label} exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = http_request(self.port, "GET", self.health_path(), timeout=2, auth=False)
                if status == 200:
                    self.ready = time.monotonic()
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {self.label} did not answer within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.01)

    def log_tail(self, lines=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        code, note = stop_process(self.proc, f"polytope {self.label}")
        self.log_file.close()
        if note:
            self.ctx.note(f"{note}; log tail:\n{self.log_tail(8)}")
        elif code != 0:
            self.ctx.note(f"server {self.label} exited with status {code} after SIGTERM; log tail:\n{self.log_tail(8)}")
        self.proc = None

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def connection(port, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def http_request(port, method, path, body=None, timeout=30, auth=True, conn=None):
    own = conn is None
    conn = conn or connection(port, timeout)
    try:
        headers = {"Authorization": AUTH} if auth else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, response, data
    finally:
        if own:
            conn.close()


def submit(port, text, conn=None):
    body = json.dumps({"verb": "retrieve", "request": text}).encode()
    status, response, data = http_request(port, "POST", "/api/v1/requests/debug", body, conn=conn)
    if status != 202:
        raise RuntimeError(f"submission answered {status}: {data[:300]!r}")
    path = urlsplit(response.getheader("Location")).path
    return path.rsplit("/", 1)[1], path


def wait_finished(port, request_path, sleep=0.005, timeout=600, conn=None):
    """Polls until the request is processed (303: returns the download path) or failed (400)."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        status, response, data = http_request(port, "GET", request_path, conn=conn)
        polls += 1
        if status == 303:
            return urlsplit(response.getheader("Location")).path, polls
        if status == 400:
            return None, polls
        if status != 202:
            raise RuntimeError(f"poll of {request_path} answered {status}: {data[:300]!r}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{request_path} not finished after {timeout} s")
        if sleep:
            time.sleep(sleep)


def summary(port):
    status, _, data = http_request(port, "GET", "/telemetry/v1/summary", auth=False, timeout=30)
    if status != 200:
        raise RuntimeError(f"telemetry summary answered {status}")
    return json.loads(data)


# ---------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------


def lua_script(ctx, name, method, body=None):
    path = ctx.tmp / f"{name}.lua"
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "{AUTH}"']
    if body is not None:
        # A long bracket string: Lua takes it verbatim (the JSON's \n stays backslash-n).
        lines += [f"wrk.body = [==[{body}]==]", 'wrk.headers["Content-Type"] = "application/json"']
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_duration_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url, script, threads, connections, seconds, server_pid):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    with CpuMeter([server_pid]) as meter:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = {"threads": threads, "connections": connections, "seconds": seconds, "output": out}
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "99"):
        result[f"p{pct}"] = parse_duration_ms(re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    result.update(meter.as_dict())
    return result


def check_wrk(result, what):
    if result["non2xx"]:
        raise RuntimeError(f"{what}: wrk counted {result['non2xx']} non-2xx answers:\n{result['output']}")
    if result["socket_errors"]:
        raise RuntimeError(f"{what}: wrk saw socket errors ({result['socket_errors']}):\n{result['output']}")


# ---------------------------------------------------------------------------------------
# Statistics and formatting
# ---------------------------------------------------------------------------------------


def percentile(values, pct):
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def med(values):
    return statistics.median(values)


def num(value, digits=0):
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def figure(values, digits=0, unit=""):
    """median (min–max) over runs."""
    unit = f" {unit}" if unit else ""
    if len(values) == 1:
        return f"{num(values[0], digits)}{unit}"
    return f"{num(med(values), digits)}{unit} ({num(min(values), digits)}–{num(max(values), digits)})"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def status_of(met):
    return "met" if met else "**not met**"


class Section:
    def __init__(self, key, title):
        self.key = key
        self.title = title
        self.parts = []
        self.summary = []  # rows: benchmark, result, target, status, baseline
        self.failed = None

    def add(self, text):
        self.parts.append(text.strip("\n"))

    def row(self, benchmark, result, target, status, baseline):
        self.summary.append([benchmark, result, target, status, baseline])


# ---------------------------------------------------------------------------------------
# 1. Submit throughput
# ---------------------------------------------------------------------------------------


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


def bench_submit(ctx, section):
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


# ---------------------------------------------------------------------------------------
# 2. Echo round trip
# ---------------------------------------------------------------------------------------


def bench_echo(ctx, section):
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


# ---------------------------------------------------------------------------------------
# 3. 1 GiB dummy end to end
# ---------------------------------------------------------------------------------------


def stream_download(port, path, conn=None):
    """GET path, reading 1 MiB at a time into one buffer; returns (status, bytes, content-length)."""
    conn = conn or connection(port, timeout=600)
    conn.request("GET", path, headers={"Authorization": AUTH})
    response = conn.getresponse()
    length = int(response.getheader("Content-Length") or -1)
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    total = 0
    while True:
        n = response.readinto(view)
        if not n:
            break
        total += n
    return response.status, total, length


def bench_dummy(ctx, section):
    runs = []
    for run_index in range(ctx.runs):
        ctx.wait_quiet()
        with Server(ctx, "dummy") as server:
            server.start()
            conn = connection(server.port, timeout=600)
            with CpuMeter([server.pid]) as meter:
                start = time.perf_counter()
                _, path = submit(server.port, f"datasource: dummy\nsize: {GIB}", conn=conn)
                download, polls = wait_finished(server.port, path, sleep=0.005, conn=conn)
                staged = time.perf_counter()
                if download is None:
                    raise RuntimeError("the dummy request failed")
                status, total, length = stream_download(server.port, download, conn=conn)
                end = time.perf_counter()
            if status != 200 or total != GIB or length != GIB:
                raise RuntimeError(f"download answered {status} with {total} bytes (Content-Length {length}), expected {GIB}")
            hwm = vm_hwm_kb(server.pid) * 1024 / 1e6
            conn.close()
            server.stop()
            shutil.rmtree(server.data_dir, ignore_errors=True)
        # Baseline: the same filesystem, page cache, no sync.
        target = ctx.tmp / "dd-baseline.bin"
        ctx.wait_quiet()
        base_start = time.perf_counter()
        subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=1024", "status=none"], check=True)
        subprocess.run(f"cat '{target}' > /dev/null", shell=True, check=True)
        base_time = time.perf_counter() - base_start
        target.unlink()
        result = {
            "seconds": end - start, "mbps": GIB / (end - start) / 1e6, "stage_seconds": staged - start,
            "download_seconds": end - staged, "rss": hwm, "polls": polls, "base_mbps": GIB / base_time / 1e6,
            **meter.as_dict(),
        }
        runs.append(result)
        log(f"dummy run {run_index + 1}: {result['mbps']:.0f} MB/s, peak RSS {hwm:.1f} MB; dd+cat {result['base_mbps']:.0f} MB/s")

    section.add(f"""
**What is measured.** A fresh `serve --all` server (polytope.yaml) for every run. One client
submits `datasource: dummy` / `size: {GIB}` (1 GiB), polls `GET /api/v1/requests/<id>` every
5 ms until the 303, then downloads the result on the same connection, reading 1 MiB at a time
into one buffer (`http.client`), and checks the byte count and `Content-Length`. The time runs
from before the POST to the last byte: the worker writing 1 GiB to staging plus the download.
MB/s = 1,073,741,824 bytes / time / 10^6. Peak RSS is the server's `VmHWM` from
`/proc/<pid>/status`, read after the download, before the server is stopped.

**Baseline** (same run, data directory's filesystem, page cache, no sync): `dd if=/dev/zero
bs=1M count=1024` to a file, then `cat file > /dev/null`, timed together.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["end to end MB/s", "seconds", "of which staging s", "download s", "server peak RSS MB", "baseline dd + cat MB/s"],
        [[figure([r["mbps"] for r in runs]), figure([r["seconds"] for r in runs], 2), figure([r["stage_seconds"] for r in runs], 2),
          figure([r["download_seconds"] for r in runs], 2), figure([r["rss"] for r in runs], 1), figure([r["base_mbps"] for r in runs])]],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "MB/s", "seconds", "staging s", "download s", "polls", "peak RSS MB", "dd + cat MB/s", "server cores", "client cores", "other cores"],
        [[i, num(r["mbps"]), num(r["seconds"], 2), num(r["stage_seconds"], 2), num(r["download_seconds"], 2), r["polls"], num(r["rss"], 1), num(r["base_mbps"]), num(r["server_cores"], 2), num(r["client_cores"], 2), num(r["other_cores"], 2)]
         for i, r in enumerate(runs, 1)],
    ))
    mbps = med([r["mbps"] for r in runs])
    rss = med([r["rss"] for r in runs])
    base = med([r["base_mbps"] for r in runs])
    section.row("3. 1 GiB dummy end to end", f"{num(mbps)} MB/s", "≥ 1,000 MB/s", status_of(mbps >= 1000), f"dd + cat: {num(base)} MB/s")
    section.row("3. 1 GiB dummy: server peak RSS", f"{num(rss, 1)} MB (max {num(max(r['rss'] for r in runs), 1)})", "< 100 MB", status_of(max(r["rss"] for r in runs) < 100), "—")


# ---------------------------------------------------------------------------------------
# 4. Download throughput against nginx
# ---------------------------------------------------------------------------------------


class Nginx:
    def __init__(self, ctx, root):
        self.ctx = ctx
        self.root = Path(root)
        self.prefix = ctx.new_dir("nginx")
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"

    def start(self):
        self.port = free_port()
        built = subprocess.run([self.binary, "-V"], capture_output=True, text=True).stderr
        temp = "\n".join(
            f"    {kind}_temp_path {self.prefix}/{kind};"
            for kind, module in [("client_body", None), ("proxy", "proxy"), ("fastcgi", "fastcgi"), ("uwsgi", "uwsgi"), ("scgi", "scgi")]
            if module is None or f"--without-http_{module}_module" not in built
        )
        user = "user root;\n" if os.geteuid() == 0 else ""  # the data directory is private to this user
        conf = self.prefix / "nginx.conf"
        conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {self.prefix}/access.log;
{temp}
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
        location / {{ }}
    }}
}}
""")
        self.proc = spawn([self.binary, "-e", str(self.prefix / "error.log"), "-p", str(self.prefix), "-c", str(conf)], "nginx",
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.prefix / "stderr.log", "ab"))
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {(self.prefix / 'error.log').read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start listening")
                time.sleep(0.02)

    def pids(self):
        pids = [self.proc.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            pass
        return pids

    def stop(self):
        code, note = stop_process(self.proc, "nginx")
        if note:
            self.ctx.note(note)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def curl_speed(url, pids, auth):
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{speed_download}"]
    if auth:
        cmd += ["-u", "demo:demo"]
    with CpuMeter(pids) as meter:
        out = run(cmd + [url]).split()
    code, size, speed = int(out[0]), int(float(out[1])), float(out[2])
    if code != 200 or size != GIB:
        raise RuntimeError(f"curl {url}: status {code}, {size} bytes")
    return {"mbps": speed / 1e6, **meter.as_dict()}


def bench_download(ctx, section):
    polytope_runs, nginx_runs = [], []
    with Server(ctx, "download") as server:
        server.start()
        request_id, path = submit(server.port, f"datasource: dummy\nsize: {GIB}")
        download, _ = wait_finished(server.port, path, sleep=0.02)
        if download is None:
            raise RuntimeError("the dummy request failed")
        staged = sorted((server.data_dir / "staging").glob(f"{request_id}.*"))
        if len(staged) != 1 or staged[0].stat().st_size != GIB:
            raise RuntimeError(f"staged file of {request_id} not found or not 1 GiB: {staged}")
        staged = staged[0]
        with Nginx(ctx, staged.parent) as nginx:
            nginx.start()
            polytope_url = server.url(download)
            nginx_url = f"http://127.0.0.1:{nginx.port}/{staged.name}"
            curl_speed(polytope_url, [server.pid], True)  # warm-up, both
            curl_speed(nginx_url, nginx.pids(), False)
            for run_index in range(ctx.runs):
                ctx.wait_quiet()
                order = ["polytope", "nginx"] if run_index % 2 == 0 else ["nginx", "polytope"]
                for which in order:
                    if which == "polytope":
                        polytope_runs.append(curl_speed(polytope_url, [server.pid], True))
                    else:
                        nginx_runs.append(curl_speed(nginx_url, nginx.pids(), False))
                log(f"download run {run_index + 1}: polytope {polytope_runs[-1]['mbps']:.0f} MB/s, nginx {nginx_runs[-1]['mbps']:.0f} MB/s")
    p = med([r["mbps"] for r in polytope_runs])
    n = med([r["mbps"] for r in nginx_runs])
    ratios = [a["mbps"] / b["mbps"] for a, b in zip(polytope_runs, nginx_runs)]
    section.add(f"""
**What is measured.** One `serve --all` server (polytope.yaml) stages a 1 GiB dummy result
once. nginx (`sendfile on`, one worker, its own temporary configuration, loopback) serves the
staged file itself (`<data-dir>/staging/<id>.<attempt>`). Then, {ctx.runs} times, the result
is downloaded once from each, alternating which goes first, with
`curl -s -o /dev/null -w '%{{speed_download}}'` (`-u demo:demo` and
`GET /api/v1/downloads/<id>` for polytope), after one warm-up download from each. Status 200
and 1,073,741,824 bytes are checked. MB/s = 10^6 bytes/s as curl reports it.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["polytope MB/s", "nginx MB/s", "ratio polytope / nginx (median of runs)", "ratio of medians"],
        [[figure([r["mbps"] for r in polytope_runs]), figure([r["mbps"] for r in nginx_runs]), figure(ratios, 3), num(p / n, 3)]],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "polytope MB/s", "nginx MB/s", "ratio", "polytope cores", "nginx cores", "curl cores (polytope / nginx)", "other cores (polytope / nginx)"],
        [[i, num(a["mbps"]), num(b["mbps"]), num(a["mbps"] / b["mbps"], 3), num(a["server_cores"], 2), num(b["server_cores"], 2),
          f"{num(a['client_cores'], 2)} / {num(b['client_cores'], 2)}", f"{num(a['other_cores'], 2)} / {num(b['other_cores'], 2)}"]
         for i, (a, b) in enumerate(zip(polytope_runs, nginx_runs), 1)],
    ))
    section.row("4. Download vs nginx (1 GiB, curl)", f"{num(p)} MB/s = {num(p / n, 2)} × nginx", "≥ 0.9 × nginx", status_of(p / n >= 0.9), f"nginx sendfile: {num(n)} MB/s")


# ---------------------------------------------------------------------------------------
# 5. Latency with 1,000,000 stored requests
# ---------------------------------------------------------------------------------------

MARS_TEXT = (
    "datasource: echo\nclass: od\nstream: oper\nexpver: 1\ntype: fc\nlevtype: sfc\nparam: 2t/msl/10u/10v/tp\n"
    "date: 20261128\ntime: 0000\nstep: 0/to/240/by/6\ngrid: 0.25/0.25\narea: 72/-27/33/45\n"
)


def store_indexes(db):
    return list(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL"))


def open_for_fill(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")  # a plain rollback journal while filling; WAL again at the end
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    return db


def finish_fill(db):
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    os.sync()


UUID_SQL = "substr(h,1,8)||'-'||substr(h,9,4)||'-4'||substr(h,14,3)||'-'||substr('89ab',1+(i%4),1)||substr(h,18,3)||'-'||substr(h,21,12)"


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


def bench_store(ctx, section):
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


# ---------------------------------------------------------------------------------------
# 6. Broker dispatch rate
# ---------------------------------------------------------------------------------------


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


def bench_dispatch(ctx, section):
    rows, users = 100_000, 1_000
    target = 3_000 if ctx.quick else 20_000
    template = make_waiting_store(ctx, rows, users)
    limits = ctx.overlay("dispatch-limits", {"collections": {"debug": {"limits": {"total": rows, "per-user": 2}}}, "broker": {"max-active": rows}})
    slots = ctx.overlay("dispatch-slots", {"worker": {"slots": 8}})
    check = subprocess.run([str(ctx.binary), "config", "check", "--quiet", str(ctx.base_config), str(ctx.common_overlay), str(limits), str(slots)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"the overlay is not valid: {check.stderr}")
    merged = run([str(ctx.binary), "config", "check", str(ctx.base_config), str(ctx.common_overlay), str(limits), str(slots)])
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


# ---------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------

TITLES = {
    "submit": ("1. Submit throughput", bench_submit),
    "echo": ("2. Echo round trip", bench_echo),
    "dummy": ("3. 1 GiB dummy end to end", bench_dummy),
    "download": ("4. Download throughput against nginx", bench_download),
    "store": ("5. Latency with 1,000,000 stored requests", bench_store),
    "dispatch": ("6. Broker dispatch rate with 100,000 waiting requests", bench_dispatch),
    "scaleout": ("7. Two worker hosts against one", lambda ctx, section: bench_scaleout.bench_scaleout(sys.modules[__name__], ctx, section)),
}


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def machine_info(ctx):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
    df = run(["df", "-h", "--output=source,fstype,size,used,avail,target", str(ctx.tmp)]).strip().splitlines()[-1].split()
    status = run(["git", "status", "--porcelain", "--", ".", ":(exclude)docs/benchmarks.md"], cwd=REPO)
    commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO).strip() + ("-dirty" if status.strip() else "")
    binary_time = ctx.original_binary.stat().st_mtime
    newest = max((p.stat().st_mtime for p in list((REPO / "Sources").rglob("*")) + [REPO / "Package.swift"] if p.is_file()), default=0)
    stale = " — **older than the newest file in Sources/ or Package.swift: may be stale**" if newest > binary_time else ""
    return [
        ["CPU", f"{cpu} (`nproc`: {run(['nproc']).strip()})"],
        ["memory", f"{mem_kb / 1024 / 1024:.1f} GiB"],
        ["kernel", platform_release()],
        ["data directory filesystem", f"`{df[0]}` ({df[1]}) mounted on `{df[5]}`: {df[2]} total, {df[4]} free (temporary data under `{ctx.tmp.parent}`)"],
        ["date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")],
        ["commit", f"`{commit}`"],
        ["Swift", first_line(["swift", "--version"])],
        ["polytope binary", f"`{ctx.original_binary.relative_to(REPO) if ctx.original_binary.is_relative_to(REPO) else ctx.original_binary}` ({first_line([str(ctx.binary), '--version'])}), built {datetime.datetime.fromtimestamp(binary_time, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC{stale}"],
        ["tools", f"wrk {first_line(['wrk', '--version']).split()[1]}, {' '.join(first_line(['curl', '--version']).split()[:2])}, "
                  f"{first_line([shutil.which('nginx') or '/usr/sbin/nginx', '-v']).split(': ')[-1]}, Python {sys.version.split()[0]} (SQLite {sqlite3.sqlite_version})"],
    ]


def platform_release():
    return os.uname().release


def existing_analysis(path):
    try:
        text = path.read_text()
    except OSError:
        return None
    match = re.search(re.escape(ANALYSIS_START) + r"\n?(.*?)\n?" + re.escape(ANALYSIS_END), text, re.S)
    return match.group(1).strip() if match else None


def write_document(ctx, path, machine, sections, wall, selected):
    analysis = existing_analysis(path) or ANALYSIS_PLACEHOLDER
    mode = "quick (`--quick`: 2 shorter runs per figure, a smoke check, not for comparisons)" if ctx.quick else f"full ({ctx.runs} runs per figure)"
    if selected != BENCHMARKS:
        mode += f"; only {', '.join(selected)} (`--only`)"
    out = ["# Benchmarks", ""]
    out.append("<!-- Written by scripts/bench (scripts/bench.py). Edit only the Analysis section: the rest is regenerated. -->")
    out.append("")
    out.append("## Machine and build")
    out.append("")
    out.append(table(["", ""], machine + [
        ["suite", f"{mode}; wall time {wall / 60:.1f} min"],
        ["server logging", f"`logging.level: {ctx.args.log_level}` (overlay; the info level logs two lines per request)"],
        ["other load", f"before each run the suite waited for the machine to be idle (others < {ctx.args.quiet_threshold} cores): {ctx.quiet_waited:.0f} s waited in all; "
                       f"{ctx.busy_runs} run(s) started while still busy. Dirty pages are flushed (`sync`) before each run. The *other cores* columns show what else ran during each run."],
    ]))
    out += ["", "## How to reproduce", "", "```sh",
            "scripts/bench                          # installs wrk/nginx-light/curl with apt if missing, builds (release), runs everything",
            "scripts/bench --quick                  # smoke check: 2 shorter runs per figure (< 3 minutes)",
            "scripts/bench --only submit,echo       # some benchmarks: submit, echo, dummy, download, store, dispatch, scaleout",
            "POLYTOPE_BENCH_SKIP_BUILD=1 scripts/bench   # use .build/release/polytope as it is",
            "```", "",
            "Every figure is the median of the runs, with the minimum and maximum in brackets. Each server is "
            "started by the script on a free loopback port with its own temporary data directory and a generated "
            "configuration (`--config polytope.yaml` plus overlays), and stopped with SIGTERM at the end.", ""]
    out += ["## Summary", ""]
    rows = []
    for section in sections:
        if section.failed:
            message = " ".join(section.failed.split("\n\nTraceback")[0].split())
            rows.append([section.title, "**failed**: " + message[:240].replace("|", "\\|"), "", "**failed**", ""])
        rows += section.summary
    out.append(table(["benchmark", "result (median)", "target", "status", "baseline (same run)"], rows))
    if ctx.notes:
        out += ["", "Problems seen during the run:", ""]
        out += [f"- {n.splitlines()[0]}" + (f" (`{' / '.join(l.strip() for l in n.splitlines()[1:4])}`)" if len(n.splitlines()) > 1 else "") for n in ctx.notes]
    out += ["", "## Reference: the original Python server", "", REFERENCE_PARAGRAPH, ""]
    out += ["## Analysis", "", ANALYSIS_START, analysis, ANALYSIS_END, ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.failed:
            out += ["**This benchmark failed:**", "", "```text", section.failed.strip(), "```", ""]
        for part in section.parts:
            out += [part, ""]
    path.write_text("\n".join(out).rstrip("\n") + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 shorter runs per figure: a smoke check (< 3 minutes)")
    parser.add_argument("--only", help="comma-separated benchmarks to run: " + ", ".join(BENCHMARKS))
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, --quick 2)")
    parser.add_argument("--binary", default=str(REPO / ".build/release/polytope"), help="the polytope executable")
    parser.add_argument("--out", default=str(REPO / "docs/benchmarks.md"), help="the document to write")
    parser.add_argument("--log-level", default="warning", help="the servers' logging.level (default warning)")
    parser.add_argument("--quiet-threshold", type=float, default=0.3, help="cores others may use for the machine to count as idle")
    parser.add_argument("--max-quiet-wait", type=float, help="seconds to wait for an idle machine before each run (default 180, --quick 20)")
    parser.add_argument("--max-quiet-total", type=float, help="seconds to wait for an idle machine in all (default 3600, --quick 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, stores)")
    args = parser.parse_args()
    if args.max_quiet_wait is None:
        args.max_quiet_wait = 10 if args.quick else 180
    if args.max_quiet_total is None:
        args.max_quiet_total = 20 if args.quick else 3600
    selected = BENCHMARKS
    if args.only:
        selected = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in selected if name not in BENCHMARKS]
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        selected = [name for name in BENCHMARKS if name in selected]
    if not Path(args.binary).is_file():
        parser.error(f"{args.binary} does not exist; build it (swift build -c release --product polytope) or run scripts/bench")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    ctx = Context(args)
    log(f"temporary directory {ctx.tmp}; {ctx.runs} runs per figure; benchmarks: {', '.join(selected)}")
    started = time.monotonic()
    sections = []
    try:
        machine = machine_info(ctx)
        for name in selected:
            title, function = TITLES[name]
            section = Section(name, title)
            sections.append(section)
            log(f"=== {title}")
            bench_started = time.monotonic()
            try:
                function(ctx, section)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as error:
                section.failed = f"{error}\n\n{traceback.format_exc()}"
                log(f"{title} FAILED: {error}")
            finally:
                stop_all_children()
            log(f"{title}: {time.monotonic() - bench_started:.0f} s")
        wall = time.monotonic() - started
        out = Path(args.out)
        write_document(ctx, out, machine, sections, wall, selected)
        log(f"wrote {out} ({wall / 60:.1f} min)")
    finally:
        stop_all_children()
        if args.keep:
            log(f"kept {ctx.tmp}")
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return 1 if any(s.failed for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
