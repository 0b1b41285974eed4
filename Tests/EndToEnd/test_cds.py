"""The CDS / OGC API - Processes front driven by the unmodified PyPI clients pinned in
scripts/e2e-venv: cdsapi 0.7.7 (which picks the new protocol for a key without ':') and
ecmwf-datastores-client 0.5.3, plus plain HTTP for what the clients hide. Jobs are requests:
they show in /api/v1/requests and `polytope list requests`."""

import concurrent.futures
import re
import socket
import threading
import time
import json

import cdsapi
import pytest
import requests
from ecmwf.datastores import Client as DatastoresClient

from conftest import ALICE, DEMO, PolytopeServer


@pytest.fixture(scope="module")
def key(server):
    response = requests.post(server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10)
    assert response.status_code in (200, 201), response.text
    key = response.json()["key"]
    assert ":" not in key
    return key


def cds(server, key, **kwargs):
    kwargs.setdefault("quiet", True)
    kwargs.setdefault("progress", False)
    kwargs.setdefault("sleep_max", 0.5)
    return cdsapi.Client(url=server.url + "/api", key=key, **kwargs)


def datastores(server, key):
    return DatastoresClient(url=server.url + "/api", key=key, sleep_max=0.5, progress=False)


def private(key):
    return {"PRIVATE-TOKEN": key}


def test_cdsapi_retrieves_an_echo_to_a_file(server, key, tmp_path):
    target = tmp_path / "echo.bin"
    cds(server, key).retrieve("debug", {"datasource": "echo", "day": "1"}, str(target))
    assert json.loads(target.read_bytes()) == {"datasource": "echo", "day": "1"}


def test_cdsapi_reads_url_and_key_from_cdsapirc(server, key, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".cdsapirc").write_text(f"url: {server.url}/api\nkey: {key}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CDSAPI_URL", raising=False)
    monkeypatch.delenv("CDSAPI_KEY", raising=False)
    target = tmp_path / "out.bin"
    cdsapi.Client(quiet=True, progress=False, sleep_max=0.5).retrieve("debug", {"size": "1000"}, str(target))
    assert target.read_bytes() == b"x" * 1000


def test_cdsapi_retrieves_20_mb(server, key, tmp_path):
    target = tmp_path / "big.grib"
    size = 20 * 1024 * 1024
    cds(server, key).retrieve("debug", {"size": str(size)}, str(target))
    data = target.read_bytes()
    assert len(data) == size and data.count(b"x") == size


def test_datastores_client_retrieves(server, key, tmp_path):
    target = tmp_path / "echo.bin"
    datastores(server, key).retrieve("debug", {"datasource": "echo", "k": "v"}, target=str(target))
    assert json.loads(target.read_bytes()) == {"datasource": "echo", "k": "v"}


def test_failing_request_raises_with_the_servers_message(server, key, tmp_path):
    with pytest.raises(Exception, match="The raise datasource always fails"):
        cds(server, key).retrieve("debug", {"datasource": "raise"}, str(tmp_path / "x"))
    with pytest.raises(Exception, match="The raise datasource always fails"):
        datastores(server, key).retrieve("debug", {"datasource": "raise"}, target=str(tmp_path / "y"))


def test_unknown_dataset_and_bad_key_raise_clearly(server, key, tmp_path):
    with pytest.raises(Exception, match="Collection 'nonesuch' not found"):
        cds(server, key).retrieve("nonesuch", {"size": "1"}, str(tmp_path / "x"))
    with pytest.raises(Exception, match="(?s)401.*Invalid credentials"):
        cds(server, "not-a-valid-key").retrieve("debug", {"size": "1"}, str(tmp_path / "y"))


def test_check_authentication_and_calls_this_server_lacks(server, key):
    """check_authentication() passes with a key and raises with a bad one; a call the server
    does not offer (estimate_costs) raises with a message naming the path, not an empty one."""
    assert datastores(server, key).check_authentication()["id"] == "demo"
    with pytest.raises(requests.HTTPError, match="401"):
        datastores(server, "not-a-valid-key").check_authentication()
    with pytest.raises(requests.HTTPError, match="This server has nothing at /api/retrieve/v1/processes/debug/costing"):
        datastores(server, key).estimate_costs("debug", {"size": "1"})


def test_submit_then_download_by_id(server, key, tmp_path):
    client = datastores(server, key)
    remote = client.submit("debug", {"size": "4096"})
    job_id = remote.request_id
    later = datastores(server, key).get_remote(job_id)
    target = tmp_path / "later.bin"
    later.download(str(target))
    assert target.read_bytes() == b"x" * 4096
    assert later.status == "successful"
    assert job_id in client.get_jobs().request_ids
    assert job_id in client.get_jobs(status="successful").request_ids
    assert job_id not in client.get_jobs(status="failed").request_ids


def test_jobs_listed_newest_first_when_asked(server, key):
    client = datastores(server, key)
    first = client.submit("debug", {"datasource": "echo", "order": "1"}).request_id
    second = client.submit("debug", {"datasource": "echo", "order": "2"}).request_id
    assert client.get_jobs(sortby="-created", limit=2).request_ids == [second, first]
    oldest_first = []
    jobs = client.get_jobs(sortby="created", limit=50)
    while True:  # every page, in order, through the next links
        oldest_first += jobs.request_ids
        jobs = jobs.next
        if jobs is None:
            break
    assert oldest_first.index(first) < oldest_first.index(second)
    refused = requests.get(server.url + "/api/retrieve/v1/jobs?sortby=title", headers=private(key), timeout=10)
    assert refused.status_code == 400 and "sortby=title is not supported" in refused.json()["title"]


def test_a_status_filter_holds_on_every_page(server, key):
    client = datastores(server, key)
    failing = [client.submit("debug", {"datasource": "raise", "page": str(i)}).request_id for i in range(2)]
    client.submit("debug", {"datasource": "echo", "page": "ok"})
    deadline = time.monotonic() + 30
    while any(client.get_remote(job).status != "failed" for job in failing):
        assert time.monotonic() < deadline, "the failing jobs did not fail"
        time.sleep(0.05)
    listed = []
    jobs = client.get_jobs(status="failed", limit=1)  # a page per job, through the next links
    while jobs is not None:
        listed += jobs.json["jobs"]
        jobs = jobs.next
    assert {job["status"] for job in listed} == {"failed"}
    assert set(failing) <= {job["jobID"] for job in listed}
    refused = requests.get(server.url + "/api/retrieve/v1/jobs?status=finished", headers=private(key), timeout=10)
    assert refused.status_code == 400 and "status=finished is not a job state" in refused.json()["title"]


def test_cdsapi_delete_true_still_downloads(server, key, tmp_path):
    target = tmp_path / "deleted.bin"
    cds(server, key, delete=True).retrieve("debug", {"size": "5000"}, str(target))
    assert target.read_bytes() == b"x" * 5000


def test_three_concurrent_jobs(server, key, tmp_path):
    def fetch(n):
        target = tmp_path / f"c{n}.bin"
        cds(server, key).retrieve("debug", {"size": str(100_000 + n)}, str(target))
        return target.read_bytes()

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(fetch, range(3)))
    assert [len(r) for r in results] == [100_000, 100_001, 100_002]


def test_protocol_documents(server, key):
    base = server.url + "/api/retrieve/v1"
    assert requests.get(server.url + "/api/catalogue/v1/messages", timeout=10).json() == {"messages": []}
    conformance = requests.get(base + "/conformance", timeout=10).json()["conformsTo"]
    assert any(c.endswith("/conf/dismiss") for c in conformance) and any(c.endswith("/conf/job-list") for c in conformance)
    processes = requests.get(base + "/processes", headers=private(key), timeout=10).json()["processes"]
    assert "debug" in [p["id"] for p in processes]
    missing = requests.get(base + "/processes/nonesuch", headers=private(key), timeout=10)
    assert missing.status_code == 404 and "not found" in missing.json()["title"]
    assert requests.get(base + "/processes", timeout=10).status_code == 401

    created = requests.post(base + "/processes/debug/execution", headers=private(key), json={"inputs": {"size": "10"}}, timeout=10)
    assert created.status_code == 201, created.text
    job = created.json()
    monitors = [link for link in job["links"] if link["rel"] == "monitor"]
    assert len(monitors) == 1 and monitors[0]["href"] == f"{base}/jobs/{job['jobID']}"
    assert job["status"] == "accepted" and job["type"] == "process" and job["processID"] == "debug" and job["created"]
    # The job is the request: same id in the v1 API.
    assert requests.get(f"{server.url}/api/v1/requests/{job['jobID']}", auth=DEMO, timeout=10).status_code in (200, 202, 303)
    listed = requests.get(base + "/jobs", headers=private(key), timeout=10).json()["jobs"]
    assert job["jobID"] in [j["jobID"] for j in listed]
    # Someone else's job is not found.
    alice_key = requests.post(server.url + "/api/v1/auth/keys", auth=ALICE, json={}, timeout=10).json()["key"]
    assert requests.get(f"{base}/jobs/{job['jobID']}", headers=private(alice_key), timeout=10).status_code == 404


def test_results_and_ranged_download_without_token(server, key):
    base = server.url + "/api/retrieve/v1"
    job = requests.post(base + "/processes/debug/execution", headers=private(key), json={"inputs": {"size": "300000"}}, timeout=10).json()
    remote = datastores(server, key).get_remote(job["jobID"])
    results = remote.get_results()
    asset = requests.get(f"{base}/jobs/{job['jobID']}/results", headers=private(key), timeout=10).json()["asset"]["value"]
    assert asset["file:size"] == 300000 and asset["type"] == "application/x-grib"
    assert results.location == asset["href"]
    head = requests.head(asset["href"], timeout=10)
    assert head.status_code == 200 and head.headers["Accept-Ranges"] == "bytes" and head.headers["Content-Length"] == "300000"
    tail = requests.get(asset["href"], headers={"Range": "bytes=299990-"}, timeout=10)
    assert tail.status_code == 206 and tail.content == b"x" * 10


def test_failed_job_results_are_4xx_with_traceback(server, key):
    base = server.url + "/api/retrieve/v1"
    job = requests.post(base + "/processes/debug/execution", headers=private(key), json={"inputs": {"datasource": "raise"}}, timeout=10).json()
    remote = datastores(server, key).get_remote(job["jobID"])
    with pytest.raises(Exception):
        remote.get_results()
    answer = requests.get(f"{base}/jobs/{job['jobID']}/results", headers=private(key), timeout=10)
    assert answer.status_code == 400 and "The raise datasource always fails" in answer.json()["traceback"]
    status = requests.get(f"{base}/jobs/{job['jobID']}", headers=private(key), timeout=10).json()
    assert status["status"] == "failed"
    assert any("raise datasource" in entry[1] for entry in status["metadata"]["log"])


def test_dismiss_revokes_a_waiting_job(queue_server):
    key = requests.post(queue_server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
    base = queue_server.url + "/api/retrieve/v1"
    job = requests.post(base + "/processes/debug/execution", headers=private(key), json={"inputs": {"size": "1"}}, timeout=10).json()
    status = requests.get(f"{base}/jobs/{job['jobID']}", headers=private(key), timeout=10).json()
    assert status["status"] == "accepted"
    assert status["metadata"]["log"], "a waiting job says why it waits"
    not_ready = requests.get(f"{base}/jobs/{job['jobID']}/results", headers=private(key), timeout=10)
    assert not_ready.status_code == 404, not_ready.text
    assert not_ready.json()["type"] == "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/result-not-ready"
    dismissed = requests.delete(f"{base}/jobs/{job['jobID']}", headers=private(key), timeout=10)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert requests.get(f"{queue_server.url}/api/v1/requests/{job['jobID']}", auth=DEMO, timeout=10).status_code == 404


def test_jobs_show_in_polytope_list_requests(server, key, run_cli):
    remote = datastores(server, key).submit("debug", {"size": "77"})
    listed = run_cli(server, "list", "requests")
    assert listed.returncode == 0, listed.stderr
    assert remote.request_id in listed.stdout + listed.stderr


class CuttingProxy:
    """A loopback HTTP/1.1 proxy, one request per connection (it adds `Connection: close`),
    that cuts the first full GET of a download after `cut_after` body bytes."""

    def __init__(self, upstream_port, cut_after):
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.cuts = 0
        self.ranges = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.listener.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            head_part, rest = head.split(b"\r\n\r\n", 1)
            lines = [line for line in head_part.split(b"\r\n") if not line.lower().startswith(b"connection:")]
            length = next((int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += client.recv(65536)
            upstream.sendall(b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + rest)
            request_line = lines[0].decode()
            ranged = [line.decode() for line in lines if line.lower().startswith(b"range:")]
            is_download = request_line.startswith("GET /api/v1/downloads/")
            if is_download:
                self.ranges.append(ranged[0] if ranged else None)
            cut = is_download and not ranged and self.cuts == 0
            response = b""
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                response += chunk
                if cut and b"\r\n\r\n" in response and len(response.split(b"\r\n\r\n", 1)[1]) >= self.cut_after:
                    head_bytes = response.index(b"\r\n\r\n") + 4
                    client.sendall(response[: head_bytes + self.cut_after])
                    self.cuts += 1
                    return
                if not cut:
                    client.sendall(chunk)
                    response = b""


def test_a_download_cut_mid_file_resumes(server, key, tmp_path):
    proxy = CuttingProxy(int(server.url.rsplit(":", 1)[1]), cut_after=3_000_000)
    try:
        target = tmp_path / "resumed.grib"
        size = 5_000_000
        cdsapi.Client(url=proxy.url + "/api", key=key, quiet=True, progress=False, sleep_max=0.5).retrieve(
            "debug", {"size": str(size)}, str(target))
        data = target.read_bytes()
        assert len(data) == size and data.count(b"x") == size
        assert proxy.cuts == 1
        # The client writes whole chunks, so it resumes from the last one it wrote.
        assert len(proxy.ranges) == 2 and proxy.ranges[0] is None, proxy.ranges
        assert re.fullmatch(r"(?i)range: bytes=[1-9][0-9]*-", proxy.ranges[1] or ""), proxy.ranges
    finally:
        proxy.close()


def test_ogc_api_processes_client_lists_executes_and_reads_results(server, key):
    """ogc-api-processes-client 0.6.0, pointed at .../retrieve/v1 with the PRIVATE-TOKEN header.
    Its generated models cannot hold a plain string input (it matches both `str` and
    `bytes` of a oneOf), so the request values are given as lists of strings."""
    import ogc_api_processes_client as ogc
    from ogc_api_processes_client.api_client import ApiClient

    client = ApiClient(ogc.Configuration(host=server.url + "/api/retrieve/v1"), header_name="PRIVATE-TOKEN", header_value=key)
    assert any(link.rel == "self" for link in ogc.CapabilitiesApi(client).get_landing_page().links)
    assert any(c.endswith("/conf/core") for c in ogc.ConformanceDeclarationApi(client).get_conformance_classes().conforms_to)
    assert "debug" in [p.id for p in ogc.ProcessListApi(client).get_processes().processes]
    assert ogc.ProcessDescriptionApi(client).get_process_description("debug").id == "debug"
    job = ogc.ExecuteApi(client).execute("debug", ogc.Execute.from_dict({"inputs": {"datasource": ["echo"], "x": ["1", "2"]}}))
    assert job.process_id == "debug" and job.status.value == "accepted"
    deadline = time.monotonic() + 20
    while (status := ogc.StatusApi(client).get_status(job.job_id).status.value) not in ("successful", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == "successful"
    asset = ogc.ResultApi(client).get_result(job.job_id)["asset"].actual_instance.value
    href = asset.oneof_schema_2_validator["href"]
    assert json.loads(requests.get(href, timeout=10).content) == {"datasource": ["echo"], "x": ["1", "2"]}
    assert job.job_id in [j.job_id for j in ogc.JobListApi(client).get_jobs().jobs]


MARS_CONFIG = """
telemetry:
  admin-roles: [default]
collections:
  od:
    language: mars
    datasources:
      - {name: recent, type: echo, match: {class: od, param: [2t, msl], date: "<30d"}, defaults: {time: 0}}
"""


def test_a_mars_language_collection_through_cdsapi(polytope_bin, tmp_path):
    """cdsapi's inputs, a JSON object with MARS values, are normalised like any request
    of the collection; mistakes come back at submission with the normaliser's message."""
    mars = PolytopeServer("cds-mars", polytope_bin, tmp_path, extra_config=MARS_CONFIG).start()
    try:
        key = requests.post(mars.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
        target = tmp_path / "mars.out"
        request = {"class": "OD", "date": "-1", "param": ["2t", "MSL"], "step": "0/to/12/by/6"}
        cds(mars, key).retrieve("od", request, str(target))
        assert json.loads(target.read_bytes()) == request
        listed = requests.get(mars.url + "/telemetry/v1/requests", params={"collection": "od"}, auth=DEMO, timeout=10).json()["message"]
        assert len(listed) == 1 and listed[0]["normalised"].startswith("class=od, date=") and "param=167/151, step=0/6/12" in listed[0]["normalised"]
        with pytest.raises(Exception, match="nosuchparam"):
            cds(mars, key).retrieve("od", {"class": "od", "date": "-1", "param": "nosuchparam"}, str(tmp_path / "bad"))
    finally:
        mars.stop()
