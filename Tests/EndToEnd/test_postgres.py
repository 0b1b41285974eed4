"""The PostgreSQL request store end to end: the real client against `serve --all`
on PostgreSQL, roles in separate processes woken by LISTEN/NOTIFY, and a database
restart in the middle of a run."""

import glob
import os
import re
import subprocess
import threading
import time

import pytest
import requests

import conftest
from conftest import DEMO, REPO_ROOT, Api, PolytopeServer, postgres_store_config, s3_staging_config

# Long poll intervals: only NOTIFY can make these processes react quickly.
SLOW_POLLING = """
broker:
  poll-interval: 30s
worker:
  poll-interval: 30s
"""


def test_real_client_on_postgres(polytope_bin, tmp_path, postgres_url, make_client):
    server = PolytopeServer("pg-all", polytope_bin, tmp_path, extra_config=postgres_store_config(postgres_url)).start()
    try:
        output = tmp_path / "out.grib"
        make_client(server).retrieve("debug", "datasource: dummy\nsize: 100000", str(output))
        assert output.stat().st_size == 100000
        ready = requests.get(server.url + "/telemetry/v1/ready", timeout=10)
        assert ready.status_code == 200, ready.text
    finally:
        server.stop()


def test_separate_role_processes_are_woken_by_notify(polytope_bin, tmp_path, postgres_url, s3_store, make_client):
    """Frontend, broker and worker in three processes sharing nothing but PostgreSQL and
    S3: with 30 s poll intervals, a request still completes at once."""
    config = postgres_store_config(postgres_url) + s3_staging_config(s3_store) + SLOW_POLLING
    processes = []
    try:
        for name, roles in [("broker", "broker,telemetry"), ("worker", "worker,telemetry"), ("frontend", "frontend,telemetry")]:
            (tmp_path / name).mkdir()
            processes.append(PolytopeServer(name, polytope_bin, tmp_path / name, roles=roles, extra_config=config).start())
        frontend = processes[-1]
        api = Api(frontend, DEMO)
        for attempt in range(3):
            started = time.monotonic()
            request_id, response = api.processed(f"datasource: echo\nattempt: {attempt}\n")
            assert time.monotonic() - started < 10, "dispatch waited for a poll interval: NOTIFY did not wake the roles"
            assert api.get(response.headers["Location"]).text == f"datasource: echo\nattempt: {attempt}\n"
        output = tmp_path / "client.grib"
        make_client(frontend).retrieve("debug", "datasource: dummy\nsize: 7000000", str(output))
        assert output.stat().st_size == 7000000
    finally:
        for process in reversed(processes):
            process.stop()


@pytest.fixture
def postgres_with_a_slow_clock():
    """A PostgreSQL of this test alone whose clock is 30 s behind this host's (libfaketime,
    the wall clock only): its URL."""
    libraries = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    assert libraries, "libfaketime is missing: scripts/setup --tests installs it"
    environment = {**os.environ, "LD_PRELOAD": libraries[0], "FAKETIME": "-30s", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    script = REPO_ROOT / "scripts" / "test-postgres"
    result = subprocess.run([str(script), "start"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, env=environment)
    assert result.returncode == 0, result.stderr
    url, directory = result.stdout.split()[:2]
    yield url
    subprocess.run([str(script), "stop", directory], capture_output=True, stdin=subprocess.DEVNULL)


def test_a_host_clock_apart_from_the_database_is_logged(polytope_bin, tmp_path, postgres_url, postgres_with_a_slow_clock):
    """Hosts compare lease and expiry times that other hosts wrote: a process whose clock is
    30 s ahead of the database's says so at start, with the skew, in its log and in
    `polytope_clock_skew_seconds`, and still serves; one whose clock agrees says nothing."""
    (tmp_path / "skewed").mkdir()
    server = PolytopeServer("pg-skewed", polytope_bin, tmp_path / "skewed", extra_config=postgres_store_config(postgres_with_a_slow_clock))
    server.start()
    try:
        Api(server, DEMO).processed("datasource: echo\nskewed: yes\n")
        deadline = time.monotonic() + 10
        while "clock is" not in server.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log_path.read_text()
        assert re.search(r"this host's clock is (29\.9|30\.0|30\.1) s ahead of the database's", log), log[-3000:]
        metrics = requests.get(server.url + "/telemetry/v1/metrics", timeout=10).text
        skew = re.search(r"^polytope_clock_skew_seconds (\S+)$", metrics, re.MULTILINE)
        assert skew and 29.5 < float(skew.group(1)) < 30.5, metrics
    finally:
        server.stop()
    (tmp_path / "agreeing").mkdir()
    agreeing = PolytopeServer("pg-agreeing", polytope_bin, tmp_path / "agreeing", extra_config=postgres_store_config(postgres_url))
    agreeing.start()
    try:
        Api(agreeing, DEMO).processed("datasource: echo\nskewed: no\n")
        deadline = time.monotonic() + 10  # the check runs once the store is ready
        while not (skew := re.search(r"^polytope_clock_skew_seconds (\S+)$", metrics := requests.get(
                agreeing.url + "/telemetry/v1/metrics", timeout=10).text, re.MULTILINE)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert skew and abs(float(skew.group(1))) < 0.5, metrics
        assert "clock is" not in agreeing.log_path.read_text()
    finally:
        agreeing.stop()


@pytest.fixture
def private_postgres():
    """A PostgreSQL of this test alone, which it may restart: (url, directory)."""
    script = REPO_ROOT / "scripts" / "test-postgres"
    result = subprocess.run([str(script), "start"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert result.returncode == 0, result.stderr
    url, directory = result.stdout.split()[:2]
    yield url, directory
    subprocess.run([str(script), "stop", directory], capture_output=True, stdin=subprocess.DEVNULL)


def test_a_database_restart_loses_nothing(polytope_bin, tmp_path, private_postgres):
    """PostgreSQL goes away for three seconds while clients submit and poll: submissions
    during the outage get 503 (polytope-client retries those), every 202 is kept, and the
    processes carry on when the database is back."""
    url, directory = private_postgres
    server = PolytopeServer("pg-restart", polytope_bin, tmp_path, extra_config=postgres_store_config(url)).start()
    try:
        accepted = {}
        refused = []
        lock = threading.Lock()
        stop = threading.Event()

        def submitter(index):
            each = requests.Session()
            each.trust_env = False
            each.auth = DEMO
            count = 0
            while not stop.is_set():
                text = f"datasource: echo\nsubmitter: {index}\nn: {count}\n"
                count += 1
                response = each.post(server.url + "/api/v1/requests/debug", json={"verb": "retrieve", "request": text}, timeout=60)
                with lock:
                    if response.status_code == 202:
                        accepted[response.headers["Location"].rsplit("/", 1)[1]] = text
                    else:
                        refused.append((response.status_code, response.text))
                time.sleep(0.05)

        threads = [threading.Thread(target=submitter, args=(index,)) for index in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        before = len(accepted)
        restart = subprocess.run(
            [str(REPO_ROOT / "scripts" / "test-postgres"), "restart", directory, "3"], capture_output=True, text=True, timeout=120
        )
        assert restart.returncode == 0, restart.stderr
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        assert before > 0 and len(accepted) > before, "no request was accepted after the restart"
        for status, text in refused:
            assert status == 503, f"a submission during the outage answered {status}: {text}"

        api = Api(server, DEMO)
        # The debug collection allows 8 active requests per user: many are still waiting.
        for request_id, text in accepted.items():
            response = api.poll(request_id, timeout=60)
            assert response.status_code == 303, f"{request_id}: {response.status_code} {response.text}"
            assert api.get(response.headers["Location"]).text == text
        ready = requests.get(server.url + "/telemetry/v1/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        print(f"\naccepted {len(accepted)} ({before} before the restart), refused {len(refused)} during the outage")
    finally:
        server.stop()


def test_an_unreachable_database_is_named_in_the_log_at_warning(polytope_bin, tmp_path):
    """A pooled connection waits as long as the database is away without saying why, so
    `cannot prepare the PostgreSQL schema; retrying` was never logged and, at warning, the
    log said only "still connecting". Each attempt now names the cause."""
    port = conftest._free_port()  # nothing listens there
    config = f"""
logging:
  level: warning
store:
  type: postgres
  url: postgres://polytope@127.0.0.1:{port}/polytope
  connect-timeout: 1s
"""
    server = PolytopeServer("unreachable-postgres", polytope_bin, tmp_path, extra_config=config).start()
    try:
        deadline = time.monotonic() + 20
        while "cannot prepare the PostgreSQL schema; retrying" not in server.log_path.read_text():
            assert time.monotonic() < deadline, server.log_path.read_text()[-2000:]
            time.sleep(0.2)
        line = next(line for line in server.log_path.read_text().splitlines() if "cannot prepare the PostgreSQL schema" in line)
        assert "refused" in line.lower() and f"127.0.0.1:{port}" in line, line
        answer = requests.get(server.url + "/api/v1/requests", auth=DEMO, timeout=10)
        assert answer.status_code == 503 and "refused" in answer.json()["message"].lower(), answer.text
    finally:
        server.stop()
