"""Crashes: a 202 is a promise that survives kill -9, and a request whose worker dies is
run again by another worker, without duplicates in staging."""

import threading
import time

import pytest
import requests

from conftest import DEMO, Api, PolytopeServer

# Short leases so that recovery after a crash takes seconds, and a slow collection whose
# dummy datasource produces 2 MiB/s, so a request stays in `processing` long enough to kill.
CRASH_CONFIG = """\
worker:
  lease: 2s
  heartbeat: 500ms
  poll-interval: 200ms
broker:
  poll-interval: 200ms
collections:
  slow:
    datasources:
      - {name: slow, type: dummy, rate: 2M}
"""


def start(name, polytope_bin, workdir, data_dir, roles=None):
    return PolytopeServer(name, polytope_bin, workdir / name, roles=roles, data_dir=data_dir, extra_config=CRASH_CONFIG).start()


@pytest.fixture
def workdir(tmp_path):
    for name in ("first", "second", "third"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_accepted_requests_survive_kill_9(polytope_bin, workdir):
    data_dir = workdir / "data"
    server = start("first", polytope_bin, workdir, data_dir)
    accepted = {}
    lock = threading.Lock()
    stop = threading.Event()

    def submitter(index):
        session = requests.Session()
        session.trust_env = False
        session.auth = DEMO
        count = 0
        while not stop.is_set():
            text = f"datasource: echo\nsubmitter: {index}\nn: {count}\n"
            count += 1
            try:
                response = session.post(
                    server.url + "/api/v1/requests/debug", json={"verb": "retrieve", "request": text}, timeout=5
                )
            except requests.RequestException:
                return  # the server died while this request was in flight: no promise was made
            if response.status_code == 202:
                with lock:
                    accepted[response.headers["Location"].rsplit("/", 1)[1]] = text

    threads = [threading.Thread(target=submitter, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(accepted) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(accepted) >= 150, "the server accepted too few requests before the kill"

    restarted = start("second", polytope_bin, workdir, data_dir)
    api = Api(restarted, DEMO)
    try:
        for request_id, text in accepted.items():
            response = api.poll(request_id, timeout=60)
            assert response.status_code == 303, f"accepted request {request_id} answered {response.status_code}: {response.text}"
            download = api.get(response.headers["Location"])
            assert download.content == text.encode()
        listed = set(api.list_ids())
        assert set(accepted) <= listed
    finally:
        restarted.stop()


def test_a_request_whose_worker_dies_runs_on_another_worker(polytope_bin, workdir):
    data_dir = workdir / "data"
    frontend = start("first", polytope_bin, workdir, data_dir, roles="frontend,broker,telemetry")
    dying_worker = start("second", polytope_bin, workdir, data_dir, roles="worker,telemetry")
    api = Api(frontend, DEMO)
    surviving_worker = None
    try:
        size = 8 * 1024 * 1024
        request_id = api.submit(f"size: {size}", collection="slow")
        api.wait_for_status(request_id, {"processing"}, timeout=20)
        # The heartbeat reports progress: kill the worker once part of the result is staged.
        deadline = time.monotonic() + 20
        while "staged so far" not in api.get(f"/api/v1/requests/{request_id}").json()["message"]:
            assert time.monotonic() < deadline, "no progress reported while processing"
            time.sleep(0.05)
        dying_worker.kill()

        surviving_worker = start("third", polytope_bin, workdir, data_dir, roles="worker,telemetry")
        response = api.poll(request_id, timeout=60)
        assert response.status_code == 303, response.text
        download = api.get(response.headers["Location"])
        assert download.status_code == 200
        assert len(download.content) == size

        record = next(entry for entry in api.list_requests() if entry["id"] == request_id)
        assert record["attempts"] == 2
        assert "stopped responding" in record["user_message"]
        staged = sorted(path.name for path in (data_dir / "staging").iterdir())
        assert staged == [f"{request_id}.2"], f"staging holds {staged}"
    finally:
        if surviving_worker is not None:
            surviving_worker.stop()
        frontend.stop()
