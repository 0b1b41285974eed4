"""Roles as separate processes on one host: a frontend+broker process and two
worker processes share one SQLite file and one staging directory, and push a few
thousand requests through without a single error reaching a user."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import DEMO, PolytopeServer

# A collection without limits, so that the broker queues as fast as requests arrive.
BULK_CONFIG = """\
worker:
  slots: 4
  poll-interval: 200ms
broker:
  poll-interval: 200ms
collections:
  bulk:
    datasources:
      - {name: echo, type: echo}
"""

REQUESTS = 3000


def session():
    each = requests.Session()
    each.trust_env = False
    each.auth = DEMO
    return each


def test_frontend_broker_and_two_workers_share_one_sqlite_file(polytope_bin, tmp_path):
    data_dir = tmp_path / "data"
    processes = []
    for name, roles in [("frontend", "frontend,broker,gc,telemetry"), ("worker-a", "worker,telemetry"), ("worker-b", "worker,telemetry")]:
        (tmp_path / name).mkdir()
        processes.append(PolytopeServer(name, polytope_bin, tmp_path / name, roles=roles, data_dir=data_dir, extra_config=BULK_CONFIG).start())
    frontend, *workers = processes
    try:
        texts = {}
        errors = []
        lock = threading.Lock()

        def submit(index):
            text = f"n: {index}\nparam: 2t\n"
            response = local.session.post(frontend.url + "/api/v1/requests/bulk", json={"verb": "retrieve", "request": text}, timeout=30)
            if response.status_code != 202:
                with lock:
                    errors.append(f"submit {index}: {response.status_code} {response.text}")
                return
            with lock:
                texts[response.headers["Location"].rsplit("/", 1)[1]] = text

        local = threading.local()

        def run(function, items):
            def wrapped(item):
                if not hasattr(local, "session"):
                    local.session = session()
                function(item)

            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(wrapped, items))

        started = time.monotonic()
        run(submit, range(REQUESTS))
        submitted = time.monotonic() - started
        assert not errors, errors[:10]
        assert len(texts) == REQUESTS

        def finish(request_id):
            deadline = time.monotonic() + 180
            while True:
                response = local.session.get(f"{frontend.url}/api/v1/requests/{request_id}", timeout=30, allow_redirects=False)
                if response.status_code == 303:
                    break
                if response.status_code != 202 or time.monotonic() > deadline:
                    with lock:
                        errors.append(f"poll {request_id}: {response.status_code} {response.text}")
                    return
                time.sleep(0.1)
            download = local.session.get(response.headers["Location"], timeout=30)
            if download.status_code != 200 or download.text != texts[request_id]:
                with lock:
                    errors.append(f"download {request_id}: {download.status_code} {download.text[:200]!r}")

        run(finish, list(texts))
        finished = time.monotonic() - started
        assert not errors, errors[:10]

        # Both workers took part, and every request ran exactly once.
        runs = [len(re.findall(r"request attempt ended", worker.log_path.read_text())) for worker in workers]
        assert all(count > 0 for count in runs), f"attempts per worker: {runs}"
        assert sum(runs) == REQUESTS, f"attempts per worker: {runs}"
        staged = list((data_dir / "staging").iterdir())
        assert len(staged) == REQUESTS
        for process in processes:
            log = process.log_path.read_text()
            assert "database is locked" not in log and " error " not in log, f"{process.name} logged errors"
        print(f"\n{REQUESTS} requests: submitted in {submitted:.1f} s, all downloaded after {finished:.1f} s; attempts per worker {runs}")
    finally:
        for process in reversed(processes):
            process.stop()
