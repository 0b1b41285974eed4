"""Operating the server: logs an operator can read (and that never hold secrets), graceful
shutdown that lets running downloads finish, telemetry over the wire."""

import datetime
import base64
import json
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import ALICE, DEFAULT_CONFIG, DEMO, REPO_ROOT, Api, PolytopeServer

JSON_LOG_CONFIG = """\
logging:
  format: json
"""


@pytest.fixture
def json_server(polytope_bin, tmp_path):
    server = PolytopeServer("json-logs", polytope_bin, tmp_path, extra_config=JSON_LOG_CONFIG).start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_logs_are_json_lines_with_request_context_and_no_secrets(json_server):
    api = Api(json_server, ALICE)
    request_id, _ = api.processed("datasource: echo\nsecret_hint: none\n")
    wrong = requests.get(json_server.url + "/api/v1/collections", auth=("alice", "not-the-password"), timeout=10)
    assert wrong.status_code == 401
    json_server.stop()

    text = json_server.log_path.read_text()
    secrets = [
        "alice-password",
        "not-the-password",
        base64.b64encode(b"alice:alice-password").decode(),
        base64.b64encode(b"alice:not-the-password").decode(),
    ]
    for secret in secrets:
        assert secret not in text, f"a secret reached the log: {secret}"

    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert events, "no JSON log lines"
    assert all({"time", "level", "message", "label"} <= set(event) for event in events)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"]) for event in events), events[0]["time"]
    worker_events = [event for event in events if event.get("request-id") == request_id and event.get("role") == "worker"]
    assert worker_events, "the worker's events carry the request id"
    assert all(event.get("user") == "alice" and event.get("collection") == "debug" for event in worker_events)
    accepted = [event for event in events if event["message"] == "request accepted"]
    assert any(event.get("request-id") == request_id for event in accepted)
    polls = [event for event in events if event["message"].startswith(f"GET /api/v1/requests/{request_id} ")]
    assert polls and all(event.get("user") == "alice" for event in polls), "access log lines name the caller"
    refused = [event for event in events if event["message"] == "GET /api/v1/collections 401"]
    assert refused and all("user" not in event for event in refused), "no user for a refused caller"


DEBUG_SECRETS_CONFIG = """\
logging:
  level: debug
collections:
  secrets:
    roles: [default]
    datasources:
      - {name: mars, type: command, command: [/bin/true, "{request}"], environment: {MARS_USER_KEY: MARS-KEY-SECRET-1}, match: {kind: mars}}
      - {name: web, type: http, url: "http://127.0.0.1:9/{date}.grib", headers: {Authorization: "Bearer HTTP-HEADER-SECRET-2"}}
"""


def test_debug_logs_hold_no_configured_secrets(polytope_bin, tmp_path):
    """ServiceLifecycle logs each service it starts and stops, at debug, by its description:
    a struct's every property, which held the datasources' keys and headers."""
    server = PolytopeServer("debug-logs", polytope_bin, tmp_path, extra_config=DEBUG_SECRETS_CONFIG).start()
    server.stop()
    text = server.log_path.read_text()
    assert "Starting service" in text or "sl-service" in text, "the service group's debug lines are there to check"
    for secret in ("MARS-KEY-SECRET-1", "HTTP-HEADER-SECRET-2"):
        assert secret not in text, f"a configured secret reached the debug log: {secret}"


def test_sigterm_lets_a_running_download_finish(polytope_bin, tmp_path):
    server = PolytopeServer("shutdown", polytope_bin, tmp_path).start()
    api = Api(server, DEMO)
    size = 64 * 1024 * 1024
    request_id, response = api.processed(f"datasource: dummy\nsize: {size}\n")
    received = 0
    started = threading.Event()
    failure = []

    def download():
        nonlocal received
        try:
            with api.session.get(response.headers["Location"], stream=True, timeout=60) as stream:
                assert stream.status_code == 200
                for chunk in stream.iter_content(chunk_size=256 * 1024):
                    received += len(chunk)
                    started.set()
                    time.sleep(0.002)  # a slow client: the download spans the shutdown
        except Exception as error:  # reported below
            failure.append(error)
            started.set()

    thread = threading.Thread(target=download)
    thread.start()
    assert started.wait(20)
    server.process.send_signal(signal.SIGTERM)
    thread.join(60)
    assert not failure, failure
    assert received == size
    assert server.process.wait(timeout=40) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/api/v1/test", timeout=2)


def test_a_download_stalled_past_the_shutdown_deadline_is_cut_and_the_process_exits_0(polytope_bin, tmp_path):
    """A client that stops reading holds its download open: after worker.shutdown-grace + 60 s
    of drain and 15 s more, the process ends (exit 0, a warning), where ServiceLifecycle's
    limit crashed it (SIGILL, exit 132, a backtrace). Takes about 75 s."""
    server = PolytopeServer("stalled-download", polytope_bin, tmp_path, extra_config="worker:\n  shutdown-grace: 0s\n").start()
    api = Api(server, DEMO)
    _, response = api.processed("datasource: dummy\nsize: 104857600\n")
    path = "/" + response.headers["Location"].split("/", 3)[3]
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    authorization = base64.b64encode(f"{DEMO[0]}:{DEMO[1]}".encode()).decode()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {authorization}\r\n\r\n".encode())
    assert sock.recv(1024).startswith(b"HTTP/1.1 200"), "the download started"  # and is then never read
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=120)
    sock.close()
    assert code == 0
    assert 70 < time.monotonic() - started < 110
    assert "stopping now, at the shutdown deadline" in server.log_path.read_text()


def test_telemetry_over_the_wire(server):
    api = Api(server, DEMO)
    api.processed("datasource: echo\ntelemetry: yes\n")
    health = requests.get(server.url + "/telemetry/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = requests.get(server.url + "/telemetry/v1/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    for auth in (None, DEMO):  # slots for all; the pools by name (host, process id) for administrators only
        workers = requests.get(server.url + "/telemetry/v1/summary", auth=auth, timeout=10).json()["workers"]
        assert workers["slots"] >= 1 and "pools" not in workers, workers
    metrics = requests.get(server.url + "/telemetry/v1/metrics", timeout=10)
    assert metrics.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "polytope_requests_submitted_total" in metrics.text
    assert requests.get(server.url + "/telemetry/v1/requests", auth=DEMO, timeout=10).status_code == 403


def test_administrators_see_the_worker_pools(polytope_bin, tmp_path):
    server = PolytopeServer("telemetry-admin", polytope_bin, tmp_path, extra_config="telemetry:\n  admin-roles: [default]\n").start()
    try:
        pools = requests.get(server.url + "/telemetry/v1/summary", auth=DEMO, timeout=10).json()["workers"]["pools"]
        assert len(pools) == 1 and f":{server.process.pid}:" in pools[0]["id"], pools
        for key in ("startedAt", "seenAt"):  # times as ISO 8601 in UTC, close to now
            seen = datetime.datetime.fromisoformat(pools[0][key].replace("Z", "+00:00"))
            assert abs((datetime.datetime.now(datetime.timezone.utc) - seen).total_seconds()) < 600, pools
    finally:
        server.stop()


def test_a_second_server_on_a_taken_port_stops_before_any_role_starts(polytope_bin, tmp_path):
    """It used to start its workers first: they registered, were cancelled with errors in the
    log, and left a registration that telemetry counted (twice the slots) for 30 s."""
    server = PolytopeServer("port-taken", polytope_bin, tmp_path, extra_config="telemetry:\n  admin-roles: [default]\n").start()
    try:
        before = requests.get(server.url + "/telemetry/v1/summary", auth=DEMO, timeout=10).json()["workers"]
        second = subprocess.run(
            [str(polytope_bin), "serve", "--all", "--config", str(DEFAULT_CONFIG), "--port", str(server.port), "--data-dir", str(server.data_dir)],
            capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert second.returncode == 1, second.stderr
        assert "the address is already in use" in second.stderr, second.stderr
        assert " error " not in second.stderr and "CancellationError" not in second.stderr, second.stderr
        after = requests.get(server.url + "/telemetry/v1/summary", auth=DEMO, timeout=10).json()["workers"]
        assert after["slots"] == before["slots"] and len(after["pools"]) == 1, after
    finally:
        server.stop()


def test_the_web_page_works_with_api_keys_turned_off(polytope_bin, tmp_path):
    """Sessions of the web page are API keys of their own: with API keys turned off (a site
    that signs users in with Auth-o-tron only, say) the page still signs users in, its
    session key opens the page but not the API, and operators can list and end sessions."""
    server = PolytopeServer(
        "no-api-keys", polytope_bin, tmp_path, override_config="authentication:\n  api-keys:\n    enabled: false\n").start()
    try:
        form = requests.get(server.url + "/ui/sign-in", timeout=10).text
        assert 'id="password"' in form and 'id="api-key"' not in form, "no key can sign in here, so none is asked for"
        browser = requests.Session()
        signed_in = browser.post(server.url + "/ui/sign-in", data={"username": "demo", "password": "demo"}, allow_redirects=False, timeout=10)
        assert signed_in.status_code == 303, signed_in.text
        page = browser.get(server.url + "/ui/requests", allow_redirects=False, timeout=10)
        assert page.status_code == 200 and "Sign out" in page.text
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        submitted = browser.post(server.url + "/ui/submit", data={"collection": "debug", "request": "datasource: echo\nkeys: off", "csrf": token},
                                 allow_redirects=False, timeout=10)
        assert submitted.status_code == 303, submitted.text
        assert any("keys: off" in r["user_request"] for r in requests.get(server.url + "/api/v1/requests", auth=DEMO, timeout=10).json()["message"])
        session_key = browser.cookies["polytope_session"]
        # The API does not take the session's key, nor issue keys.
        assert requests.get(server.url + "/api/v1/requests", headers={"Authorization": f"Bearer {session_key}"}, timeout=10).status_code == 401
        assert requests.post(server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).status_code == 404
        # Operators still list and revoke sessions, but cannot create keys the server refuses.
        def keys(*arguments):
            configs = [DEFAULT_CONFIG, server.overlay, server.override]
            command = [str(polytope_bin), "keys", *arguments, *(f"--config={path}" for path in configs), "--data-dir", str(server.data_dir)]
            return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)

        listed = keys("list")
        assert listed.returncode == 0, listed.stderr
        sessions = [line.split("\t") for line in listed.stdout.splitlines()[1:] if line.endswith("\tweb session")]
        assert len(sessions) == 1 and sessions[0][1] == "demo" and sessions[0][4] == "valid", listed.stdout
        # A data directory holding no store (a relative data-dir read from elsewhere) is refused, not created anew.
        elsewhere = tmp_path / "elsewhere"
        missing = subprocess.run([str(polytope_bin), "keys", "list", f"--config={DEFAULT_CONFIG}", "--data-dir", str(elsewhere)],
                                 capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
        assert missing.returncode != 0 and "there is no request store" in missing.stderr, missing.stderr
        assert not (elsewhere / "polytope.sqlite").exists()
        refused = keys("create", "--user", "demo")
        assert refused.returncode != 0 and "API keys are turned off" in refused.stderr, refused.stderr
        browser.post(server.url + "/ui/sign-out", data={"csrf": token}, allow_redirects=False, timeout=10)
        replayed = requests.get(server.url + "/ui/requests", cookies={"polytope_session": session_key}, allow_redirects=False, timeout=10)
        assert replayed.status_code == 303 and replayed.headers["Location"] == "/ui/sign-in", "signing out revokes the session"
        # An operator's revocation ends a session as well.
        second = requests.Session()
        second.post(server.url + "/ui/sign-in", data={"username": "demo", "password": "demo"}, allow_redirects=False, timeout=10)
        assert second.get(server.url + "/ui/requests", allow_redirects=False, timeout=10).status_code == 200
        live = [line.split("\t") for line in keys("list").stdout.splitlines()[1:] if line.endswith("\tvalid\tweb session")]
        assert len(live) == 1, live
        assert keys("revoke", live[0][0]).returncode == 0
        assert second.get(server.url + "/ui/requests", allow_redirects=False, timeout=10).status_code == 303
    finally:
        server.stop()


def test_a_web_session_started_with_an_api_key_ends_with_it(polytope_bin, tmp_path):
    """Signing in to the page with an API key gives a session labelled with that key, no
    longer than it; revoking the key ends the session; a session's own key starts none."""
    server = PolytopeServer("key-sessions", polytope_bin, tmp_path).start()
    try:
        key = requests.post(server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
        browser = requests.Session()
        signed_in = browser.post(server.url + "/ui/sign-in", data={"api_key": key}, allow_redirects=False, timeout=10)
        assert signed_in.status_code == 303, signed_in.text
        assert browser.get(server.url + "/ui/requests", allow_redirects=False, timeout=10).status_code == 200
        session_key = browser.cookies["polytope_session"]
        again = requests.post(server.url + "/ui/sign-in", data={"api_key": session_key}, allow_redirects=False, timeout=10)
        assert again.status_code == 401 and "cannot start another session" in again.text, again.text

        def keys(*arguments):
            configs = [DEFAULT_CONFIG, server.overlay]
            command = [str(polytope_bin), "keys", *arguments, *(f"--config={path}" for path in configs), "--data-dir", str(server.data_dir)]
            return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)

        rows = [line.split("\t") for line in keys("list").stdout.splitlines()[1:]]
        parent = [row for row in rows if row[5] != "web session" and not row[5].startswith("web session via")]
        assert len(parent) == 1, rows
        sessions = [row for row in rows if row[5] == f"web session via key {parent[0][0]}"]
        assert len(sessions) == 1 and sessions[0][3] <= parent[0][3], rows  # expires no later than the key
        revoked = keys("revoke", parent[0][0])
        assert revoked.returncode == 0 and "and 1 web page session started with it" in revoked.stderr, revoked.stderr
        assert browser.get(server.url + "/ui/requests", allow_redirects=False, timeout=10).status_code == 303
    finally:
        server.stop()


@pytest.mark.parametrize("arguments", [["--role", "fronted"], ["--role", ""], ["--port", "99999"], ["--port", "-1"]])
def test_bad_serve_options_exit_64_before_starting(polytope_bin, tmp_path, arguments):
    """64 for every bad option (EX_USAGE), which the example units' RestartPreventExitStatus
    keeps from restarting forever; an unknown role exited 1."""
    result = subprocess.run([str(polytope_bin), "serve", *arguments, "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 64, result.stderr
    assert "Error:" in result.stderr and "Usage:" in result.stderr, result.stderr
    assert not (tmp_path / "data").exists(), "nothing was started"


def test_a_directory_that_cannot_be_made_is_named_by_its_key(polytope_bin, tmp_path):
    """A path under a file used to print Foundation's error domain and code; the operator
    needs the key and the reason."""
    (tmp_path / "afile").write_text("")
    config = tmp_path / "st.yaml"
    config.write_text(f"staging:\n  path: {tmp_path / 'afile' / 'staging'}\n")
    result = subprocess.run([str(polytope_bin), "serve", "--config", str(DEFAULT_CONFIG), "--config", str(config),
                             "--data-dir", str(tmp_path / "data"), "--port", "0"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"cannot create staging.path {tmp_path / 'afile' / 'staging'}: Not a directory" in result.stderr, result.stderr
    assert "NSCocoaErrorDomain" not in result.stderr


def test_a_listen_host_that_does_not_resolve_is_named(polytope_bin, tmp_path):
    result = subprocess.run([str(polytope_bin), "serve", "--all", f"--config={DEFAULT_CONFIG}", "--host", "nonesuch.invalid", "--port", "18999",
                             "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "cannot listen on nonesuch.invalid: not an address of this machine" in result.stderr, result.stderr
