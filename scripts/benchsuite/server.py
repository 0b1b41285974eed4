"""The servers under test and how the suite talks to them: the run's Context (temporary
directory, configuration overlays, waiting for an idle machine), Server (one `polytope serve`
process), HTTP helpers (submit, poll, summary) and CpuMeter, which measures the cores used
by the server, by the load generator and by everything else during a block."""

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from .processes import free_port, log, spawn, stop_process

REPO = Path(__file__).resolve().parent.parent.parent
AUTH = "Basic " + base64.b64encode(b"demo:demo").decode()
GIB = 1 << 30
CLK_TCK = os.sysconf("SC_CLK_TCK")
SUBMIT_TEXT = "datasource: echo\nparam: 2t/msl\n"
# The body wrk posts: JSON, so the request text carries the two characters backslash-n.
SUBMIT_BODY = json.dumps({"verb": "retrieve", "request": SUBMIT_TEXT})


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


def vm_kb(pid, field):
    """A memory figure of /proc/<pid>/status in KiB: VmHWM (peak RSS), VmRSS..."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def vm_hwm_kb(pid):
    return vm_kb(pid, "VmHWM")


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
        # Benchmarks submit identical requests to measure the pipeline, so results are never
        # reused (polytope.yaml's debug collection reuses them for 10 minutes).
        common.write_text(
            json.dumps({"logging": {"level": args.log_level, "format": "text"}, "collections": {"debug": {"reuse-results": "off"}}}) + "\n")
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
