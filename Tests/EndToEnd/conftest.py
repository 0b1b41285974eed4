"""End-to-end tests: the real `polytope` binary on loopback, driven by the real
polytope-client 0.7.10 (Python API and CLI) and by plain HTTP (requests).

How to run (from the repository root, after `swift build`):

    scripts/test-e2e            # any extra arguments go to pytest, e.g. -k revoke

scripts/test-e2e runs pytest with the interpreter of a virtual environment made
once by scripts/e2e-venv (pytest, requests, polytope-client==0.7.10; default
.build/e2e-venv, or $POLYTOPE_E2E_VENV), so `import polytope` works in the tests
and the `polytope` CLI sits beside that interpreter. The server binary is
$POLYTOPE_BIN (default .build/debug/polytope). Nothing here compiles Swift.

Servers: `server` runs every role (`serve --all`); `queue_server` runs
`--role frontend,broker,telemetry`, so requests never leave the queue and
list/describe/revoke tests are deterministic. Each gets a fresh data directory,
a free loopback port, polytope.yaml plus an overlay adding the user alice, and
is stopped with SIGTERM at the end (it must exit 0 within 40 s). When a test
fails, the tail of every running server's log is attached to its report.

The client's own configuration is isolated: a temporary HOME and
POLYTOPE_CONFIG_PATH, every other POLYTOPE_* variable removed, proxies bypassed
for loopback.
"""

import ctypes
import faulthandler
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
POLYTOPE_BIN = Path(os.environ.get("POLYTOPE_BIN", str(REPO_ROOT / ".build" / "debug" / "polytope"))).absolute()
DEFAULT_CONFIG = REPO_ROOT / "polytope.yaml"
# Read right after polytope.yaml by every server: results are not reused (see the file).
E2E_DEFAULTS = REPO_ROOT / "Tests" / "EndToEnd" / "e2e-defaults.yaml"

DEMO = ("demo", "demo")
ALICE = ("alice", "alice-password")

# polytope.yaml's `authentication.users` is a list, and lists are replaced (not
# appended) by a deep merge, so the overlay repeats demo beside alice. Tests sign in
# wrongly on purpose hundreds of times from 127.0.0.1, so the failed-sign-in limiter is
# lifted here; test_hardening.py checks it on a server of its own.
OVERLAY_CONFIG = """\
authentication:
  failed-logins: {per-address: 1000000, per-user: 1000000}
  users:
    - username: demo
      password: demo
      roles: [default]
    - username: alice
      password: alice-password
      roles: [default]
"""

STARTUP_TIMEOUT = 30.0  # seconds until /api/v1/test must answer
SHUTDOWN_TIMEOUT = 40.0  # seconds for a graceful exit after SIGTERM
POLL_TIMEOUT = 20.0  # seconds a request may take to reach a final state
# A hung test (e.g. the client sleeping 120 s before a retry) aborts the run
# with every thread's traceback instead of blocking it for 20 minutes.
TEST_TIMEOUT = float(os.environ.get("POLYTOPE_E2E_TEST_TIMEOUT", "120"))

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_running_servers = []
_saved_environ = None
_client_home = None


# ---------------------------------------------------------------------------
# Session set-up: isolate polytope-client from the caller's configuration.


def pytest_configure(config):
    global _saved_environ, _client_home
    _saved_environ = dict(os.environ)
    _client_home = Path(tempfile.mkdtemp(prefix="polytope-e2e-home-"))
    (_client_home / "client-config").mkdir()
    for name in list(os.environ):
        if name.startswith("POLYTOPE_"):
            del os.environ[name]
    os.environ["HOME"] = str(_client_home)
    os.environ["POLYTOPE_CONFIG_PATH"] = str(_client_home / "client-config")
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def pytest_unconfigure(config):
    if _saved_environ is not None:
        os.environ.clear()
        os.environ.update(_saved_environ)
    if _client_home is not None:
        shutil.rmtree(_client_home, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in _running_servers:
            report.sections.append((f"polytope server log ({server.name}, last lines)", server.log_tail()))


@pytest.fixture(autouse=True)
def _hang_watchdog():
    faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# ---------------------------------------------------------------------------
# The server process.


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent():
    """Runs in the child before exec: SIGTERM the server if pytest dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _child_setup(descriptor_limit):
    """What runs in the child before exec: _die_with_parent, and the descriptor limit
    (soft and hard, so the server cannot raise it again) when one is given."""

    def setup():
        _die_with_parent()
        if descriptor_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptor_limit, descriptor_limit))

    return setup


class PolytopeServer:
    """One `polytope serve` process on a free loopback port.

    `extra_config` is appended to the overlay (OVERLAY_CONFIG); `override_config`, if
    given, is a configuration file of its own read after the overlay, so it can change keys
    the overlay sets (mappings are merged, lists replaced). `descriptor_limit` lowers the
    process's RLIMIT_NOFILE, soft and hard. `host` is the address to listen on."""

    def __init__(self, name, binary, workdir, roles=None, data_dir=None, extra_config="", override_config="", descriptor_limit=None,
                 host="127.0.0.1"):
        self.name = name
        self.host = host
        self.binary = binary
        self.workdir = workdir
        self.roles = roles
        self.data_dir = data_dir or workdir / "data"
        self.overlay = workdir / "overlay.yaml"
        self.extra_config = extra_config
        self.override = workdir / "override.yaml"
        self.override_config = override_config
        self.descriptor_limit = descriptor_limit
        self.log_path = workdir / "server.log"
        self.process = None
        self.port = None
        self.url = None

    @property
    def liveness_path(self):
        """Processes without the frontend role answer only the telemetry routes."""
        if self.roles is None or "frontend" in self.roles.split(","):
            return "/api/v1/test"
        return "/telemetry/v1/health"

    def start(self):
        self.overlay.write_text(OVERLAY_CONFIG + self.extra_config)
        if self.override_config:
            self.override.write_text(self.override_config)
        last_failure = None
        for _ in range(3):  # the port picked may be taken by someone else meanwhile
            self.port = _free_port()
            self.url = f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"
            command = [str(self.binary), "serve"]
            command += ["--role", self.roles] if self.roles else ["--all"]
            command += [
                "--config", str(DEFAULT_CONFIG),
                "--config", str(E2E_DEFAULTS),
                "--config", str(self.overlay),
            ]
            command += ["--config", str(self.override)] if self.override_config else []
            command += [
                "--host", self.host,
                "--port", str(self.port),
                "--data-dir", str(self.data_dir),
            ]
            with open(self.log_path, "ab") as log:
                log.write(f"$ {' '.join(command)}\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    command,
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_child_setup(self.descriptor_limit),
                )
            last_failure = self._wait_until_alive()
            if last_failure is None:
                _running_servers.append(self)
                return self
            if "address already in use" not in self.log_tail().lower():
                break
        pytest.fail(f"polytope server '{self.name}' did not start: {last_failure}\n{self.log_tail()}", pytrace=False)

    def _wait_until_alive(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return f"it exited with code {code}"
            try:
                response = requests.get(self.url + self.liveness_path, timeout=2, proxies={"http": None})
                if response.status_code == 200:
                    return None
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.process.kill()
        self.process.wait()
        return f"/api/v1/test did not answer 200 within {STARTUP_TIMEOUT:.0f} s"

    def stop(self):
        """SIGTERM, then insist on a clean exit within SHUTDOWN_TIMEOUT."""
        if self in _running_servers:
            _running_servers.remove(self)
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            pytest.fail(f"polytope server '{self.name}' had already exited (code {code})\n{self.log_tail()}", pytrace=False)
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"polytope server '{self.name}' did not exit within {SHUTDOWN_TIMEOUT:.0f} s of SIGTERM\n{self.log_tail()}", pytrace=False)
        if code != 0:
            pytest.fail(f"polytope server '{self.name}' exited with code {code} after SIGTERM\n{self.log_tail()}", pytrace=False)

    def kill(self):
        """SIGKILL: the process dies at once, as in a crash or power cut of the host."""
        if self in _running_servers:
            _running_servers.remove(self)
        self.process.kill()
        self.process.wait()

    def assert_alive(self):
        """The server still answers its liveness route (after bad input, say)."""
        assert self.process.poll() is None, f"server exited with code {self.process.returncode}"
        response = requests.get(self.url + "/api/v1/test", timeout=10, proxies={"http": None})
        assert response.status_code == 200
        assert response.json() == {"message": "Polytope server is alive"}

    def log_tail(self, lines=80):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def polytope_bin():
    if not (POLYTOPE_BIN.is_file() and os.access(POLYTOPE_BIN, os.X_OK)):
        pytest.exit(f"server binary {POLYTOPE_BIN} not found: build it (swift build) or set POLYTOPE_BIN", returncode=4)
    return POLYTOPE_BIN


def _serve(name, binary, tmp_path_factory, roles=None):
    server = PolytopeServer(name, binary, tmp_path_factory.mktemp(name), roles=roles).start()
    return server


@pytest.fixture(scope="session")
def server(polytope_bin, tmp_path_factory):
    """A server with every role: requests are processed."""
    server = _serve("all-roles", polytope_bin, tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def queue_server(polytope_bin, tmp_path_factory):
    """A server without workers: submitted requests stay waiting/queued."""
    server = _serve("no-workers", polytope_bin, tmp_path_factory, roles="frontend,broker,telemetry")
    yield server
    server.stop()


# ---------------------------------------------------------------------------
# Plain HTTP access.


class Api:
    """requests.Session bound to one server and one user; redirects not followed."""

    def __init__(self, server, auth):
        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = auth

    def request(self, method, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        url = path if path.startswith("http") else self.server.url + path
        return self.session.request(method, url, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def submit(self, request_text, collection="debug"):
        """POSTs a retrieve, asserts the 202, returns the request id."""
        response = self.post(f"/api/v1/requests/{collection}", json={"verb": "retrieve", "request": request_text})
        assert response.status_code == 202, response.text
        match = re.fullmatch(r".*/api/v1/requests/(" + UUID_RE + ")", response.headers.get("Location", ""))
        assert match, f"Location header {response.headers.get('Location')!r} does not end with a request id"
        return match.group(1)

    def poll(self, request_id, timeout=POLL_TIMEOUT):
        """Polls until the answer is not 202; returns that response."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/api/v1/requests/{request_id}")
            if response.status_code != 202:
                return response
            if time.monotonic() > deadline:
                pytest.fail(f"request {request_id} still answers 202 after {timeout:.0f} s: {response.text}")
            time.sleep(0.05)

    def wait_for_status(self, request_id, statuses, timeout=POLL_TIMEOUT):
        """Polls (202 answers only) until the status is one of `statuses`."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/api/v1/requests/{request_id}")
            assert response.status_code == 202, response.text
            if response.json().get("status") in statuses:
                return response
            if time.monotonic() > deadline:
                pytest.fail(f"request {request_id} did not reach {statuses} in {timeout:.0f} s: {response.text}")
            time.sleep(0.05)

    def processed(self, request_text, collection="debug"):
        """Submits and polls to the 303; returns (id, 303 response)."""
        request_id = self.submit(request_text, collection)
        response = self.poll(request_id)
        assert response.status_code == 303, response.text
        return request_id, response

    def list_requests(self, collection=None):
        path = "/api/v1/requests" + (f"/{collection}" if collection else "")
        response = self.get(path)
        assert response.status_code == 200, response.text
        return response.json()["message"]

    def list_ids(self, collection=None):
        return [entry["id"] for entry in self.list_requests(collection)]

    def revoke_all(self):
        response = self.delete("/api/v1/requests/all")
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
def api(server):
    return Api(server, DEMO)


@pytest.fixture
def alice_api(server):
    return Api(server, ALICE)


@pytest.fixture
def anonymous_api(server):
    return Api(server, None)


@pytest.fixture
def queue_api(queue_server):
    return Api(queue_server, DEMO)


@pytest.fixture
def idle_queue(queue_server):
    """The no-worker server with no live request of demo or alice, before and after."""
    apis = [Api(queue_server, DEMO), Api(queue_server, ALICE)]
    for each in apis:
        each.revoke_all()
    yield queue_server
    for each in apis:
        each.revoke_all()


# ---------------------------------------------------------------------------
# The real client: Python API (in this interpreter) and CLI (beside it).


@pytest.fixture(scope="session")
def polytope_client_module():
    """polytope-client 0.7.10, imported in the venv this pytest runs in.

    Also a safety net: the client sleeps 120 s before retrying a 5xx or a
    dropped connection. Such a sleep inside the API fails the test at once
    (the server answered 5xx or hung up) instead of stalling the run."""
    try:
        from importlib.metadata import version

        import polytope.api
        import polytope.api.helpers as helpers
    except ImportError:
        pytest.exit("polytope-client is not importable: run the suite with scripts/test-e2e", returncode=4)
    assert version("polytope-client") == "0.7.10"

    class _NoLongSleeps:
        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds):
            if seconds >= 60:
                raise AssertionError(
                    f"polytope-client wanted to sleep {seconds} s before a retry: "
                    "the server answered 408/429/5xx or dropped the connection"
                )
            time.sleep(seconds)

    helpers.time = _NoLongSleeps()
    return polytope.api


@pytest.fixture
def make_client(polytope_client_module, tmp_path):
    """make_client(server, (user, password)) -> polytope.api.Client."""

    def make(server, credentials=DEMO):
        username, password = credentials
        return polytope_client_module.Client(
            address=server.url,
            insecure=True,
            username=username,
            password=password,
            quiet=True,
            config_path=os.environ["POLYTOPE_CONFIG_PATH"],
        )

    return make


@pytest.fixture(scope="session")
def polytope_cli_path():
    path = Path(sys.executable).parent / "polytope"
    if not path.exists():
        pytest.exit(f"the polytope CLI is not beside {sys.executable}: run the suite with scripts/test-e2e", returncode=4)
    return path


@pytest.fixture
def run_cli(polytope_cli_path, tmp_path):
    """run_cli(server, *args, credentials=DEMO) -> CompletedProcess (text)."""

    def run(server, *args, credentials=DEMO, timeout=90):
        username, password = credentials
        command = [str(polytope_cli_path), *args, "--address", server.url, "--insecure", "-u", username, "--password", password]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    return run



# ---------------------------------------------------------------------------
# Shared backends: PostgreSQL and an S3-compatible store (SeaweedFS). The test
# command starts one of each and names them in POLYTOPE_TEST_*; run alone, the
# suite starts private ones with the repository's scripts.


def _started_by_script(script):
    """Runs `scripts/<script> start`; returns its output lines. Stopped at exit."""
    path = REPO_ROOT / "scripts" / script
    result = subprocess.run([str(path), "start"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"{script} start failed:\n{result.stderr}", pytrace=False)
    lines = result.stdout.split()
    return lines, (lambda: subprocess.run([str(path), "stop", lines[1]], capture_output=True, stdin=subprocess.DEVNULL))


@pytest.fixture(scope="session")
def s3_store():
    """{'endpoint', 'access_key', 'secret_key', 'bucket'} of a running S3 store."""
    saved = _saved_environ or {}
    if saved.get("POLYTOPE_TEST_S3_ENDPOINT"):
        yield {
            "endpoint": saved["POLYTOPE_TEST_S3_ENDPOINT"],
            "access_key": saved.get("POLYTOPE_TEST_S3_ACCESS_KEY", ""),
            "secret_key": saved.get("POLYTOPE_TEST_S3_SECRET_KEY", ""),
            "bucket": "polytope",
        }
        return
    lines, stop = _started_by_script("test-seaweedfs")
    yield {"endpoint": lines[0], "access_key": lines[2], "secret_key": lines[3], "bucket": "polytope"}
    stop()


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a running PostgreSQL server (each test uses its own schema)."""
    saved = _saved_environ or {}
    if saved.get("POLYTOPE_TEST_POSTGRES_URL"):
        yield saved["POLYTOPE_TEST_POSTGRES_URL"]
        return
    lines, stop = _started_by_script("test-postgres")
    yield lines[0]
    stop()


def s3_staging_config(s3_store, downloads="proxy", prefix=None):
    """A `staging` section for S3 staging under a fresh prefix (YAML text)."""
    import uuid

    prefix = prefix or f"e2e-{uuid.uuid4().hex}/"
    return f"""
staging:
  type: s3
  endpoint: {s3_store['endpoint']}
  bucket: {s3_store['bucket']}
  access-key: {s3_store['access_key']}
  secret-key: {s3_store['secret_key']}
  prefix: {prefix}
  part-size: 5M
  downloads: {downloads}
"""


def postgres_store_config(postgres_url, schema=None):
    """A `store` section for PostgreSQL in a fresh schema (YAML text)."""
    import uuid

    schema = schema or f"e2e_{uuid.uuid4().hex}"
    return f"""
store:
  type: postgres
  url: "{postgres_url}"
  schema: {schema}
"""
