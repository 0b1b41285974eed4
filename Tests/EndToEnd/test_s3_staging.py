"""S3 staging end to end: results in a real S3-compatible store (SeaweedFS),
downloaded through the frontend or straight from the store with presigned URLs,
and collected by the garbage collector there."""

import socket
import time

import requests

from conftest import DEMO, Api, PolytopeServer, s3_staging_config


def start(polytope_bin, tmp_path, s3_store, downloads="proxy", extra=""):
    config = s3_staging_config(s3_store, downloads=downloads) + extra
    return PolytopeServer(f"s3-{downloads}", polytope_bin, tmp_path, extra_config=config).start()


def test_real_client_retrieves_through_the_frontend(polytope_bin, tmp_path, s3_store, make_client):
    server = start(polytope_bin, tmp_path, s3_store)
    try:
        client = make_client(server)
        echoed = tmp_path / "echo.txt"
        client.retrieve("debug", "datasource: echo\nparam: 2t\n", str(echoed))
        assert "param: 2t" in echoed.read_text()
        # 12 MiB: three 5 MiB parts of a multipart upload.
        big = tmp_path / "big.grib"
        client.retrieve("debug", f"datasource: dummy\nsize: {12 * 1024 * 1024}", str(big))
        assert big.stat().st_size == 12 * 1024 * 1024
        assert big.read_bytes() == b"x" * (12 * 1024 * 1024)
        ready = requests.get(server.url + "/telemetry/v1/ready", timeout=10)
        assert ready.status_code == 200, ready.text
    finally:
        server.stop()


def test_presigned_downloads_go_straight_to_the_store(polytope_bin, tmp_path, s3_store, make_client):
    server = start(polytope_bin, tmp_path, s3_store, downloads="presigned")
    try:
        api = Api(server, DEMO)
        request_id, response = api.processed("datasource: dummy\nsize: 1000")
        location = response.headers["Location"]
        assert location.startswith(s3_store["endpoint"] + "/polytope/"), location
        assert "X-Amz-Signature=" in location
        # No credentials: the URL itself is the permission.
        data = requests.get(location, timeout=30)
        assert data.status_code == 200, data.text
        assert data.content == b"x" * 1000
        assert data.headers["Content-Type"] == "application/x-grib"
        assert data.headers["Content-Disposition"] == f'attachment; filename="{request_id}.grib"'
        # The frontend's own download URL still works (proxied).
        proxied = api.get(f"/api/v1/downloads/{request_id}")
        assert proxied.status_code == 200 and proxied.content == b"x" * 1000
        # The real client follows the 303 to the other origin.
        output = tmp_path / "client.grib"
        make_client(server).retrieve("debug", "datasource: dummy\nsize: 5000", str(output))
        assert output.read_bytes() == b"x" * 5000
    finally:
        server.stop()


def test_garbage_collector_removes_results_from_the_store(polytope_bin, tmp_path, s3_store):
    gc = "\ngarbage-collector:\n  interval: 1s\n  age: 2s\n"
    server = start(polytope_bin, tmp_path, s3_store, downloads="presigned", extra=gc)
    try:
        api = Api(server, DEMO)
        request_id, response = api.processed("datasource: dummy\nsize: 2048")
        location = response.headers["Location"]
        assert requests.get(location, timeout=30).status_code == 200
        deadline = time.monotonic() + 30
        while api.get(f"/api/v1/requests/{request_id}").status_code != 404:
            assert time.monotonic() < deadline, "the request was not collected"
            time.sleep(0.2)
        assert "has expired" in api.get(f"/api/v1/requests/{request_id}").json()["message"]
        gone = requests.get(location, timeout=30)
        assert gone.status_code == 404, gone.text
    finally:
        server.stop()


def test_wrong_credentials_are_reported_not_fatal(polytope_bin, tmp_path, s3_store):
    wrong = dict(s3_store, secret_key="not-the-secret")
    server = start(polytope_bin, tmp_path, wrong)
    try:
        ready = requests.get(server.url + "/telemetry/v1/ready", timeout=10)
        assert ready.status_code == 503, ready.text
        assert ready.json()["staging"] == "not writable"
        log = server.log_tail()
        assert "staging is not writable" in log and "SignatureDoesNotMatch" in log, log
        server.assert_alive()
    finally:
        server.stop()


def test_readiness_answers_in_seconds_when_the_store_does_not(polytope_bin, tmp_path, s3_store):
    """A store that takes connections and never answers (a socket nobody reads), then one
    that refuses them: `ready` says 503 within seconds each time, not after the calls'
    60 s read timeout or 10 s of connection retries."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)
        port = hole.getsockname()[1]
        server = start(polytope_bin, tmp_path, dict(s3_store, endpoint=f"http://127.0.0.1:{port}"))
        try:
            for _ in range(2):
                started = time.monotonic()
                ready = requests.get(server.url + "/telemetry/v1/ready", timeout=90)
                elapsed = time.monotonic() - started
                assert ready.status_code == 503 and ready.json()["staging"] == "not writable", ready.text
                assert elapsed < 8, f"ready took {elapsed:.1f} s"
                hole.close()  # the second time nothing listens: connections are refused
        finally:
            server.stop()
