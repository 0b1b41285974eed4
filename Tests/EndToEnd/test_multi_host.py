"""Several hosts: network namespaces created here stand in for machines on one LAN.

    db      10.77.0.1   PostgreSQL and SeaweedFS (S3)
    front   10.77.0.2   polytope serve --role frontend,broker,gc,telemetry
    w1, w2  10.77.0.3-4 polytope serve --role worker,telemetry
    client  10.77.0.10  the real polytope-client (and this test's HTTP calls)

Each namespace has one veth link to a bridge in a sixth namespace, so the hosts share
nothing but the network: the request store is PostgreSQL, staging is S3, and every
process finds the others only through them. The tests drive the real client across the
hosts, kill -9 a worker in the middle of a long request (the other worker must finish
it, with exactly one result in staging), and restart PostgreSQL under load.

Needs root (ip netns); scripts/setup installs iproute2.
"""

import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from conftest import DEFAULT_CONFIG, DEMO, E2E_DEFAULTS, OVERLAY_CONFIG, REPO_ROOT, Api

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from netns_lan import Lan  # noqa: E402  (shared with the scale-out benchmark)

_NAMESPACES_UNAVAILABLE = Lan.unavailable_reason()
pytestmark = pytest.mark.skipif(_NAMESPACES_UNAVAILABLE is not None, reason=_NAMESPACES_UNAVAILABLE or "")

HOSTS = {"db": 1, "front": 2, "w1": 3, "w2": 4, "client": 10}
PORT = 8080
LEASE = 3.0  # seconds (worker.lease below)
SLOW_RATE = 1 << 20  # bytes/s of the `slow` collection's dummy datasource

class Host:
    """One `polytope serve` process on a namespaced host (the `url` is as the LAN sees it)."""

    def __init__(self, lan, host, roles, workdir, config):
        self.lan, self.host, self.roles = lan, host, roles
        self.workdir = workdir / host
        self.workdir.mkdir(exist_ok=True)
        self.overlay = self.workdir / "overlay.yaml"
        self.overlay.write_text(OVERLAY_CONFIG + config)
        self.log_path = self.workdir / "server.log"
        self.url = f"http://{lan.address(host)}:{PORT}"
        self.process = None

    def start(self, binary):
        command = [str(binary), "serve", "--role", self.roles, "--config", str(DEFAULT_CONFIG), "--config", str(E2E_DEFAULTS),
                   "--config", str(self.overlay),
                   "--host", self.lan.address(self.host), "--port", str(PORT), "--data-dir", str(self.workdir / "data")]
        with open(self.log_path, "ab") as log:
            self.process = self.lan.popen(self.host, command, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        with self.lan.inside("client"):
            while True:
                assert self.process.poll() is None, f"{self.host} exited:\n{self.log()[-3000:]}"
                try:
                    if requests.get(self.url + "/telemetry/v1/ready", timeout=5).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"{self.host} did not become ready:\n{self.log()[-3000:]}"
                time.sleep(0.2)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")


class Cluster:
    def __init__(self, lan, front, workers, postgres_dir, filer, bucket_prefix):
        self.lan, self.front, self.workers = lan, front, workers
        self.postgres_dir, self.filer, self.bucket_prefix = postgres_dir, filer, bucket_prefix

    def staged_objects(self):
        """Names of the objects under the staging prefix (SeaweedFS filer listing)."""
        url = f"{self.filer}/buckets/polytope/{self.bucket_prefix}?limit=10000"
        with self.lan.inside("client"):
            response = requests.get(url, headers={"Accept": "application/json"}, timeout=10)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [entry["FullPath"].rsplit("/", 1)[1] for entry in (response.json().get("Entries") or [])]


def _start_backend(lan, script):
    result = lan.run("db", [str(REPO_ROOT / "scripts" / script), "start"], capture_output=True, text=True, timeout=600,
                     stdin=subprocess.DEVNULL, env={**os.environ, "POLYTOPE_TEST_LISTEN": lan.address("db")})
    if result.returncode != 0:
        pytest.fail(f"{script} start in the db namespace failed:\n{result.stderr}", pytrace=False)
    return result.stdout.split()


@pytest.fixture(scope="module")
def cluster(polytope_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("multi-host")
    # The db host has no route to PyPI: install SeaweedFS from here first.
    subprocess.run([str(REPO_ROOT / "scripts" / "test-seaweedfs"), "install"], check=True, timeout=600)
    lan = Lan(f"pt{os.getpid() % 100000}", HOSTS)
    lan.destroy()  # leftovers of an earlier run with the same pid
    lan.create()
    hosts, backends = [], []
    try:
        postgres = _start_backend(lan, "test-postgres")
        backends.append(("test-postgres", postgres[1]))
        s3 = _start_backend(lan, "test-seaweedfs")
        backends.append(("test-seaweedfs", s3[1]))
        prefix = f"mh-{uuid.uuid4().hex}/"
        config = f"""
store:
  type: postgres
  url: "{postgres[0]}"
  schema: multi_host
staging:
  type: s3
  endpoint: {s3[0]}
  bucket: polytope
  access-key: {s3[2]}
  secret-key: {s3[3]}
  prefix: {prefix}
  part-size: 5M
worker:
  slots: 2
  lease: {LEASE:g}s
  heartbeat: 500ms
broker:
  max-attempts: 3
telemetry:
  admin-roles: [default]
collections:
  slow:
    datasources:
      - {{name: slow, type: dummy, rate: {SLOW_RATE}}}
"""
        front = Host(lan, "front", "frontend,broker,gc,telemetry", workdir, config)
        workers = [Host(lan, name, "worker,telemetry", workdir, config) for name in ("w1", "w2")]
        hosts = [front, *workers]
        for host in hosts:
            host.start(polytope_bin)
        yield Cluster(lan, front, workers, postgres[1], s3[4], prefix)
    finally:
        for host in hosts:
            host.stop()
        for script, directory in backends:
            lan.run("db", [str(REPO_ROOT / "scripts" / script), "stop", directory], capture_output=True, timeout=120)
        lan.destroy()


def _described(api, request_id):
    """The request as the admin telemetry describes it (attempts, history, worker)."""
    response = api.get(f"/telemetry/v1/requests/{request_id}")
    assert response.status_code == 200, response.text
    return response.json()["message"]


def _started_on(worker, request_id):
    return re.search(rf"request-id={request_id} .*request started", worker.log()) is not None


def test_real_client_across_hosts(cluster, make_client, tmp_path):
    """The client on its own host retrieves through the frontend host; four slow requests
    need both worker hosts (two slots each) at once."""
    with cluster.lan.inside("client"):
        output = tmp_path / "out.grib"
        make_client(cluster.front).retrieve("debug", "datasource: dummy\nsize: 3000000", str(output))
        assert output.read_bytes() == b"x" * 3000000

        api = Api(cluster.front, DEMO)
        ids = [api.submit(f"size: {2 * SLOW_RATE}\nn: {n}", collection="slow") for n in range(4)]
        for request_id in ids:
            response = api.poll(request_id, timeout=60)
            assert response.status_code == 303, response.text
            assert len(api.get(response.headers["Location"]).content) == 2 * SLOW_RATE
    ran = {worker.host: sum(_started_on(worker, request_id) for request_id in ids) for worker in cluster.workers}
    assert ran["w1"] >= 1 and ran["w2"] >= 1 and sum(ran.values()) == 4, ran


def test_killed_worker_request_finishes_on_the_other_host(cluster, make_client, polytope_bin, tmp_path):
    """kill -9 the worker running a long request that the real client waits for: its lease
    expires, the other worker runs it again, the client gets the whole result, and staging
    holds exactly one object for it."""
    size = 6 * SLOW_RATE  # six seconds at the datasource's rate
    output = tmp_path / "long.grib"
    outcome = {}

    def retrieve():
        try:
            make_client(cluster.front).retrieve("slow", f"size: {size}\nlong: {uuid.uuid4()}", str(output))
            outcome["ok"] = True
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    with cluster.lan.inside("client"):
        client = threading.Thread(target=retrieve)  # created inside: runs in the client namespace
        client.start()
        api = Api(cluster.front, DEMO)
        deadline = time.monotonic() + 30
        victim = request_id = None
        while victim is None:
            assert time.monotonic() < deadline, "the long request did not start"
            listing = api.get("/telemetry/v1/requests", params={"status": "processing", "collection": "slow"}).json()
            for entry in listing["message"]:
                # Worker pool ids are <hostname>:<pid>:<random>; `ip netns exec` runs the server in its own pid.
                pid = int(entry["worker"].split(":")[1])
                victim = next(worker for worker in cluster.workers if worker.process.pid == pid)
                request_id = entry["id"]
            time.sleep(0.1)
        time.sleep(1.5)  # well into the request: part of its result is uploaded
        victim.kill()
        survivor = next(worker for worker in cluster.workers if worker is not victim)
        client.join(timeout=90)
        assert not client.is_alive(), "the client did not finish"
        assert outcome.get("ok"), f"the client failed: {outcome.get('error')!r}"
        assert output.read_bytes() == b"x" * size

        described = _described(api, request_id)
        assert described["attempts"] == 2, described
        assert [change["status"] for change in described["history"]].count("processing") == 2, described
    assert _started_on(survivor, request_id)
    staged = [name for name in cluster.staged_objects() if name.startswith(request_id)]
    assert staged == [f"{request_id}.2"], f"staging holds {staged}: the killed attempt left a result behind"
    victim.start(polytope_bin)  # the host comes back for the next test


def test_postgres_restart_under_load(cluster):
    """PostgreSQL restarts (down 2 s) while the client host submits: every request
    answered 202 completes afterwards, on either worker host."""
    accepted, unavailable, stop = [], [], threading.Event()
    with cluster.lan.inside("client"):
        api = Api(cluster.front, DEMO)

        def submit():
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = api.post("/api/v1/requests/debug", json={"verb": "retrieve", "request": f"datasource: echo\nn: {n}"})
                except requests.RequestException:
                    continue  # no answer: nothing was promised
                if response.status_code == 202:
                    accepted.append(response.headers["Location"].rsplit("/", 1)[1])
                else:
                    assert response.status_code == 503, response.text
                    unavailable.append(response)
                time.sleep(0.02)

        submitter = threading.Thread(target=submit)
        submitter.start()
        try:
            time.sleep(2)
            cluster.lan.run("db", [str(REPO_ROOT / "scripts" / "test-postgres"), "restart", cluster.postgres_dir, "2"],
                            check=True, capture_output=True, timeout=120)
            time.sleep(4)
        finally:
            stop.set()
            submitter.join(timeout=60)
        assert len(accepted) > 20, f"only {len(accepted)} requests accepted"
        for request_id in accepted:
            response = api.poll(request_id, timeout=60)
            assert response.status_code == 303, response.text
            assert api.get(response.headers["Location"]).status_code == 200
    for host in [cluster.front, *cluster.workers]:
        assert host.process.poll() is None, f"{host.host} exited:\n{host.log()[-3000:]}"
