"""The archive verb end to end with the real client: `polytope archive` uploads GRIB made
here with ecCodes' grib_set, the worker archives it in a grib-archive datasource, and MARS
retrieves (lists, ranges) return exactly those fields, in request order. Uploads are
owner-only, checked against their MD5, and checked against the archive request's metadata."""

import base64
import hashlib
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests

import conftest
from conftest import ALICE, DEMO, Api, PolytopeServer
from gribfiles import make_fields, short_names_and_steps


@pytest.fixture
def fields(tmp_path):
    """Four GRIB messages: (param, step) -> bytes, for 2t and msl at steps 0 and 6."""
    return make_fields(tmp_path)


@pytest.fixture
def source(tmp_path):
    """A plain HTTP server over tmp_path/www, for archive requests that name a `url`."""
    www = tmp_path / "www" / "allowed"
    www.mkdir(parents=True)
    port = conftest._free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(www.parent)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(base + "/", timeout=2)
            break
        except requests.RequestException:
            assert time.monotonic() < deadline, "the source server did not start"
            time.sleep(0.1)
    yield base, www
    process.terminate()
    process.wait(timeout=10)


def start_archive_server(polytope_bin, tmp_path, name, allowed):
    """A server with grib-archive collections `archive` and `partial` (missing: partial) under
    tmp_path/archive, fetching archive data only below the URL prefix `allowed`."""
    config = f"""
server:
  archive-sources: ["{allowed}"]
  max-upload-size: 1M
collections:
  archive:
    language: mars
    datasources:
      - {{name: fields, type: grib-archive, root: {tmp_path / 'archive'}}}
  partial:
    language: mars
    datasources:
      - {{name: fields, type: grib-archive, root: {tmp_path / 'archive'}, missing: partial}}
"""
    return PolytopeServer(name, polytope_bin, tmp_path, extra_config=config).start()


@pytest.fixture
def server(polytope_bin, tmp_path, source):
    server = start_archive_server(polytope_bin, tmp_path, "archive", f"{source[0]}/allowed/")
    yield server
    server.stop()


def test_real_client_archives_then_retrieves_exactly_those_fields(server, make_client, fields, tmp_path):
    upload = tmp_path / "upload.grib"
    upload.write_bytes(b"".join(fields.values()))
    metadata = tmp_path / "metadata.yaml"
    metadata.write_text("date: 20250101\ntime: 12\nparam: [2t, msl]\nstep: [0, 6]\n")
    client = make_client(server)
    client.archive("archive", str(metadata), str(upload), inline_metadata=False)

    one = tmp_path / "one.grib"
    client.retrieve("archive", "date: 2025-01-01\ntime: 1200\nparam: msl\nstep: 6h\n", str(one))
    assert one.read_bytes() == fields[("msl", 6)]
    ordered = tmp_path / "ordered.grib"
    client.retrieve("archive", "retrieve, date=20250101, time=12, param=msl/2t, step=0/to/6/by/6", str(ordered))
    assert ordered.read_bytes() == b"".join(fields[(p, s)] for p in ("msl", "2t") for s in (0, 6))
    assert short_names_and_steps(ordered) == [["msl", "0"], ["msl", "6"], ["2t", "0"], ["2t", "6"]]

    # A field the archive does not have: refused with the list, before any data.
    api = Api(server, DEMO)
    response = api.poll(api.submit("date: 20250101\ntime: 12\nparam: 2t\nstep: 12", collection="archive"))
    assert response.status_code == 400 and "not in the archive" in response.json()["message"], response.text


def submit_archive(api, metadata):
    response = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": metadata, "url": ""})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "uploading"
    return response.headers["Location"]


def test_uploads_are_owner_only_once_and_checked(server, fields):
    api = Api(server, DEMO)
    data = fields[("2t", 0)]
    location = submit_archive(api, {"date": 20250101, "param": "2t"})
    assert location.endswith("/api/v1/uploads/" + location.rsplit("/", 1)[1])
    checksum = hashlib.md5(data).hexdigest()
    headers = {"Content-Type": "application/x-grib", "X-Checksum": checksum}

    assert Api(server, ALICE).post(location, data=data, headers=headers).status_code == 404  # someone else's
    missing = api.post(location, data=data, headers={"Content-Type": "application/x-grib"})
    assert missing.status_code == 400 and "X-Checksum" in missing.json()["message"], missing.text
    wrong = api.post(location, data=data, headers={**headers, "X-Checksum": "0" * 32})
    assert wrong.status_code == 400 and "does not match its checksum" in wrong.json()["message"], wrong.text
    assert api.get(location).json()["status"] == "uploading"  # the user may upload again

    accepted = api.post(location, data=data, headers=headers)
    assert accepted.status_code == 202, accepted.text
    again = api.post(location, data=data, headers=headers)
    assert again.status_code == 409, again.text
    request_id = location.rsplit("/", 1)[1]
    response = api.poll(request_id)
    assert response.status_code == 200 and response.json() == {"status": "processed", "message": "Archived 1 field."}, response.text
    # Not a CDS job: it has no results to offer there, as GET /jobs does not list it.
    for path in (f"/jobs/{request_id}", f"/jobs/{request_id}/results"):
        job = api.get("/api/retrieve/v1" + path)
        assert job.status_code == 404 and job.json()["title"] == f"Request {request_id} not found.", job.text


def test_a_cut_or_empty_upload_is_refused_and_may_be_sent_again(server, fields):
    """A body that ends before its Content-Length (the client half-closes) and an empty one
    are refused; the request still waits for its data, and the whole upload then succeeds."""
    api = Api(server, DEMO)
    data = fields[("2t", 0)]
    location = submit_archive(api, {"date": 20250101, "param": "2t"})
    path = urllib.parse.urlsplit(location).path
    checksum = hashlib.md5(data).hexdigest()
    token = base64.b64encode(b"%s:%s" % (DEMO[0].encode(), DEMO[1].encode())).decode()
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {token}\r\nX-Checksum: {checksum}\r\n"
            f"Content-Type: application/x-grib\r\nContent-Length: {len(data) + 1000}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(head + data)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert api.get(location).json()["status"] == "uploading"
    empty = api.post(location, data=b"", headers={"X-Checksum": hashlib.md5(b"").hexdigest()})
    assert empty.status_code == 400 and "empty" in empty.json()["message"], empty.text
    assert api.get(location).json()["status"] == "uploading"
    accepted = api.post(location, data=data, headers={"X-Checksum": checksum})
    assert accepted.status_code == 202, accepted.text
    assert api.poll(location.rsplit("/", 1)[1]).json() == {"status": "processed", "message": "Archived 1 field."}


def test_data_that_contradicts_its_metadata_is_refused(server, fields):
    api = Api(server, DEMO)
    location = submit_archive(api, {"date": 20250101, "param": "msl"})
    data = fields[("2t", 0)]
    response = api.post(location, data=data, headers={"X-Checksum": hashlib.md5(data).hexdigest()})
    assert response.status_code == 202, response.text
    failed = api.poll(location.rsplit("/", 1)[1])
    assert failed.status_code == 400, failed.text
    assert "param=167 (the request says 151)" in failed.json()["message"], failed.text


def test_archiving_needs_an_archiving_datasource(server):
    api = Api(server, DEMO)
    refused = api.post("/api/v1/requests/debug", json={"verb": "archive", "request": {"date": 1}, "url": ""})
    assert refused.status_code == 400 and "does not archive data" in refused.json()["message"], refused.text


def test_real_client_archives_from_an_allowed_url(server, source, make_client, fields, tmp_path):
    base, www = source
    (www / "fields.grib").write_bytes(fields[("2t", 0)] + fields[("2t", 6)])
    metadata = tmp_path / "metadata.yaml"
    metadata.write_text("date: 20250101\nparam: 2t\n")
    make_client(server).archive("archive", str(metadata), f"{base}/allowed/fields.grib", inline_metadata=False)
    output = tmp_path / "out.grib"
    make_client(server).retrieve("archive", "date: 20250101\ntime: 12\nparam: 2t\nstep: 0/6", str(output))
    assert output.read_bytes() == fields[("2t", 0)] + fields[("2t", 6)]

    api = Api(server, DEMO)
    # Only the configured prefixes: not another path, not another host.
    for url in (f"{base}/other/fields.grib", "http://169.254.169.254/allowed/", f"{base}/allowed/../other/x"):
        refused = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": {"date": 20250101}, "url": url})
        assert refused.status_code == 400 and "fetches archive data only from" in refused.json()["message"], refused.text
    # A source that does not have the data: the request fails saying so.
    missing = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": {"date": 20250101}, "url": f"{base}/allowed/nothing.grib"})
    assert missing.status_code == 202, missing.text
    failed = api.poll(missing.headers["Location"].rsplit("/", 1)[1])
    assert failed.status_code == 400 and "answered 404" in failed.json()["message"], failed.text
    # More than server.max-upload-size: the worker stops fetching and the request fails.
    (www / "big.grib").write_bytes(fields[("2t", 0)] * ((2 << 20) // len(fields[("2t", 0)]) + 1))
    big = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": {"date": 20250101}, "url": f"{base}/allowed/big.grib"})
    assert big.status_code == 202, big.text
    failed = api.poll(big.headers["Location"].rsplit("/", 1)[1])
    assert failed.status_code == 400, failed.text
    assert "larger than the limit of 1048576 bytes (server.max-upload-size)" in failed.json()["message"], failed.text


def test_archive_data_cut_short_or_announced_too_large_is_refused_and_named(polytope_bin, tmp_path, fields):
    """A source whose data ends before its Content-Length, or that closes the connection in
    it, archives nothing and the request fails naming the source and what it did; a
    Content-Length over max-upload-size is refused before any data is read."""
    import http.server
    import threading

    field = fields[("2t", 0)]

    class Source(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "99999999999" if self.path.endswith("huge.grib") else str(2 * len(field)))
            self.end_headers()
            if not self.path.endswith("huge.grib"):
                self.wfile.write(field)  # one field of the two announced
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *arguments):
            pass

    source = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Source)
    threading.Thread(target=source.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{source.server_address[1]}"
    server = start_archive_server(polytope_bin, tmp_path, "archive-cut", f"{base}/in/")
    try:
        api = Api(server, DEMO)
        for name, expected in [("cut.grib", f"from {base}/in/cut.grib stopped after {len(field)} bytes: the source closed the connection"),
                               ("huge.grib", "larger than the limit of 1048576 bytes")]:
            submitted = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": {"date": 20250101}, "url": f"{base}/in/{name}"})
            assert submitted.status_code == 202, submitted.text
            failed = api.poll(submitted.headers["Location"].rsplit("/", 1)[1])
            assert failed.status_code == 400 and expected in failed.json()["message"], failed.text
            assert "Internal error" not in failed.json()["message"]
        retrieved = api.poll(api.submit("date: 20250101\ntime: 12\nparam: 2t\nstep: 0", collection="archive"))
        assert retrieved.status_code == 400 and "not in the archive" in retrieved.json()["message"], "nothing was archived"
    finally:
        server.stop()
        source.shutdown()


def test_partial_results_tell_the_user_what_was_left_out(server, make_client, fields, tmp_path):
    upload = tmp_path / "upload.grib"
    upload.write_bytes(fields[("2t", 0)])
    metadata = tmp_path / "metadata.yaml"
    metadata.write_text("date: 20250101\nparam: 2t\n")
    make_client(server).archive("archive", str(metadata), str(upload), inline_metadata=False)
    api = Api(server, DEMO)
    request_id, response = api.processed("date: 20250101\ntime: 12\nparam: 2t\nstep: 0/6", collection="partial")
    assert api.get(response.headers["Location"]).content == fields[("2t", 0)]
    listed = {entry["id"]: entry for entry in api.list_requests("partial")}
    message = listed[request_id]["user_message"]
    assert "Returned 1 of 2 fields" in message and "step=6" in message, message

