"""Federation end to end: server A's collection forwards to server B (`type: polytope`),
on behalf of the user, with a shared secret; the real client talks only to A."""

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import DEMO, Api, PolytopeServer

SECRET = "federation-test-secret-0123456789"


def remote_config(realms="[local]"):
    # Continues the `authentication` mapping that conftest's overlay ends with.
    return f"""  peers:
    - {{name: site-a, secret: "{SECRET}", realms: {realms}}}
telemetry:
  admin-roles: [default]
"""


def forwarding_config(remote_url, secret=SECRET):
    return f"""
collections:
  federated:
    datasources:
      - name: site-b
        type: polytope
        url: {remote_url}
        collection: debug
        peer-name: site-a
        secret: "{secret}"
        poll-interval: 100ms
"""


@pytest.fixture
def remote(polytope_bin, tmp_path):
    (tmp_path / "b").mkdir()
    server = PolytopeServer("site-b", polytope_bin, tmp_path / "b", extra_config=remote_config()).start()
    yield server
    server.stop()


def start_forwarder(polytope_bin, tmp_path, remote, **kwargs):
    (tmp_path / "a").mkdir(exist_ok=True)
    return PolytopeServer("site-a", polytope_bin, tmp_path / "a", extra_config=forwarding_config(remote.url, **kwargs)).start()


def test_real_client_through_two_servers(polytope_bin, tmp_path, remote, make_client):
    forwarder = start_forwarder(polytope_bin, tmp_path, remote)
    try:
        output = tmp_path / "out.grib"
        make_client(forwarder).retrieve("federated", "datasource: dummy\nsize: 3000000", str(output))
        assert output.read_bytes() == b"x" * 3000000
        api = Api(forwarder, DEMO)
        request_id, response = api.processed("datasource: echo\nparam: 2t", collection="federated")
        # B runs the request as A made it (defaults and patches applied), forwarded as JSON.
        assert json.loads(api.get(response.headers["Location"]).text) == {"datasource": ["echo"], "param": ["2t"]}
        # On B, the requests belong to the user who sent them to A.
        listed = requests.get(remote.url + "/telemetry/v1/requests", auth=DEMO, timeout=10).json()["message"]
        assert {entry["user"] for entry in listed} == {"demo"}, listed
        assert len(listed) == 2
    finally:
        forwarder.stop()


def test_the_remote_failure_reaches_the_user(polytope_bin, tmp_path, remote):
    forwarder = start_forwarder(polytope_bin, tmp_path, remote)
    try:
        api = Api(forwarder, DEMO)
        request_id = api.submit("datasource: raise", collection="federated")
        response = api.poll(request_id)
        assert response.status_code == 400, response.text
        assert "always fails" in response.json()["message"], response.text
        # The other server's own "Request failed with error:" is not repeated inside ours.
        assert response.json()["message"].count("Request failed with error") == 1, response.text
        # Refused by B at submission (no datasource of B matches): the reason arrives too.
        request_id = api.submit("datasource: nothing-matches-this", collection="federated")
        response = api.poll(request_id)
        assert response.status_code == 400 and "No datasource of collection 'debug'" in response.json()["message"], response.text
    finally:
        forwarder.stop()


def test_a_wrong_secret_is_refused_and_explained(polytope_bin, tmp_path, remote):
    forwarder = start_forwarder(polytope_bin, tmp_path, remote, secret="not-the-shared-secret-000")
    try:
        api = Api(forwarder, DEMO)
        request_id = api.submit("datasource: echo", collection="federated")
        response = api.poll(request_id)
        assert response.status_code == 400, response.text
        message = response.json()["message"]
        assert "refused the credentials this server sent for user 'demo' of realm 'local' (401)" in message, response.text
        assert "different peer names or secrets" in message, response.text
        assert "not-the-shared-secret" not in forwarder.log_tail() + remote.log_tail()
    finally:
        forwarder.stop()


def test_users_of_other_realms_are_not_forwarded(polytope_bin, tmp_path):
    (tmp_path / "b").mkdir()
    remote = PolytopeServer("site-b", polytope_bin, tmp_path / "b", extra_config=remote_config("[ecmwf]")).start()
    forwarder = start_forwarder(polytope_bin, tmp_path, remote)
    try:
        api = Api(forwarder, DEMO)
        response = api.poll(api.submit("datasource: echo", collection="federated"))
        assert response.status_code == 400 and "(401)" in response.json()["message"], response.text
    finally:
        forwarder.stop()
        remote.stop()


def peer_header(username, realm, roles=("default",)):
    identity = base64.urlsafe_b64encode(json.dumps({"username": username, "realm": realm, "roles": list(roles), "attributes": {}}).encode())
    return {"Authorization": f"PolytopePeer site-a:{SECRET}:{identity.decode().rstrip('=')}"}


def test_a_name_in_another_realm_owns_nothing_of_the_local_user(polytope_bin, tmp_path):
    """`demo` of realm ecmwf (forwarded by a peer) is not the configured `demo`: it cannot see,
    poll or revoke their requests; the peer cannot speak for local users this server does not
    have, nor give a local user other roles, nor create API keys."""
    (tmp_path / "b").mkdir()
    server = PolytopeServer("site-b", polytope_bin, tmp_path / "b", extra_config=remote_config("[local, ecmwf]")).start()
    try:
        local = Api(server, DEMO)
        local_id, _ = local.processed("datasource: echo\ntag: local-demo")
        stranger = peer_header("demo", "ecmwf")
        assert requests.get(server.url + "/api/v1/requests", headers=stranger, timeout=10).json()["message"] == []
        assert requests.get(server.url + f"/api/v1/requests/{local_id}", headers=stranger, timeout=10).status_code == 404
        assert requests.delete(server.url + f"/api/v1/requests/{local_id}", headers=stranger, timeout=10).status_code == 404
        assert requests.delete(server.url + "/api/v1/requests/all", headers=stranger, timeout=10).status_code == 200
        assert local.poll(local_id).status_code == 303, "the local user's request is untouched"
        # The stranger's own request is theirs, and listed apart from the local user's.
        submitted = requests.post(server.url + "/api/v1/requests/debug", headers=stranger, json={"verb": "retrieve", "request": "datasource: echo"},
                                  timeout=10)
        assert submitted.status_code == 202, submitted.text
        assert len(requests.get(server.url + "/api/v1/requests", headers=stranger, timeout=10).json()["message"]) == 1
        assert [r["id"] for r in requests.get(server.url + "/api/v1/requests", auth=DEMO, timeout=10).json()["message"]] == [local_id]
        owners = {entry["user"] for entry in requests.get(server.url + "/telemetry/v1/requests", auth=DEMO, timeout=10).json()["message"]}
        assert owners == {"demo", "ecmwf/demo"}, owners
        # Local users come from this server's configuration, not from the peer.
        assert requests.get(server.url + "/api/v1/requests", headers=peer_header("nobody", "local"), timeout=10).status_code == 401
        assert requests.post(server.url + "/api/v1/auth/keys", headers=peer_header("demo", "local"), json={}, timeout=10).status_code == 403
        assert requests.get(server.url + "/api/v1/requests", headers=peer_header("a/b", "local"), timeout=10).status_code == 401
    finally:
        server.stop()


class FakeRemote:
    """A Polytope server that accepts a request with a Location on another host, answers the
    first poll with a 503 and the next with a 303, and then drips the result one byte a
    second; it records the polls."""

    def __init__(self):
        self.polls = []
        self.revoked = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(202)
                self.send_header("Location", f"http://collector.invalid:9/api/v1/requests/{'a' * 8}-0000-0000-0000-{'b' * 12}")
                self.send_header("content-length", "0")
                self.end_headers()

            def do_GET(self):
                if self.path.startswith("/api/v1/requests/"):
                    remote.polls.append(self.path)
                    if len(remote.polls) == 1:  # a restart of the other server: waited out
                        self.send_response(503)
                        self.send_header("content-length", "0")
                        self.end_headers()
                        return
                    self.send_response(303)
                    self.send_header("Location", "/drip")
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    for _ in range(60):
                        self.wfile.write(b"1\r\nx\r\n")
                        self.wfile.flush()
                        time.sleep(1)
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass

            def do_DELETE(self):
                remote.revoked.append(self.path)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_forwarded_request_is_polled_only_at_the_configured_server_and_its_timeout_holds(polytope_bin, tmp_path):
    remote = FakeRemote()
    (tmp_path / "a").mkdir()
    forwarder = PolytopeServer("site-a", polytope_bin, tmp_path / "a",
                               extra_config=forwarding_config(remote.url) + "        timeout: 3s\n").start()
    try:
        api = Api(forwarder, DEMO)
        started = time.monotonic()
        response = api.poll(api.submit("datasource: echo", collection="federated"))
        assert response.status_code == 400, response.text
        assert "did not deliver the result within 3s" in response.json()["message"], response.text
        assert time.monotonic() - started < 30, "a result dripping in is cut off at the timeout"
        # The Location named another host: the poll went to the configured server all the same.
        assert remote.polls == [f"/api/v1/requests/{'a' * 8}-0000-0000-0000-{'b' * 12}"] * 2, remote.polls
        assert remote.revoked == remote.polls[:1], "the request given up here is revoked there"
    finally:
        forwarder.stop()
        remote.close()


class FaultyProxy:
    """Between the forwarding server and the real other server: passes every request on, with
    the client's Host (so that the Locations the other server writes lead back here), except
    that the first `unavailable` submissions are answered 503 with Retry-After: 1 without
    passing them on, the answer to the next one is lost (passed on, answered 502), and the
    first download is cut after half of its body. It records the submissions' Idempotency-Key
    and the downloads' Range."""

    def __init__(self, target, unavailable=0, lose_a_submission=False, cut_a_download=False):
        self.target = target
        self.unavailable = unavailable
        self.lose_a_submission = lose_a_submission
        self.cut_a_download = cut_a_download
        self.keys = []
        self.ranges = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def relay(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "connection")}
                headers["Accept-Encoding"] = "identity"
                return requests.request(self.command, proxy.target + self.path, headers=headers, data=body, allow_redirects=False,
                                        timeout=30, proxies={"http": None})

            def answer(self, status, content, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self):
                proxy.keys.append(self.headers.get("Idempotency-Key"))
                if len(proxy.keys) <= proxy.unavailable:
                    self.rfile.read(int(self.headers.get("content-length", 0)))
                    return self.answer(503, b'{"message": "Service temporarily unavailable"}', {"Retry-After": "1"})
                upstream = self.relay()
                if proxy.lose_a_submission and len(proxy.keys) == proxy.unavailable + 1:
                    return self.answer(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"})
                self.answer(upstream.status_code, upstream.content, upstream.headers)

            def do_GET(self):
                download = self.path.startswith("/api/v1/downloads/")
                if download:
                    proxy.ranges.append(self.headers.get("Range"))
                upstream = self.relay()
                if download and proxy.cut_a_download and len(proxy.ranges) == 1:
                    self.send_response(upstream.status_code)
                    self.send_header("Content-Length", str(len(upstream.content)))
                    self.end_headers()
                    # A first part, then a pause (so that it is surely taken before the cut:
                    # what the client has not read yet when the connection breaks may be
                    # lost), then up to half, then the end.
                    quarter, half = len(upstream.content) // 4, len(upstream.content) // 2
                    self.wfile.write(upstream.content[:quarter])
                    self.wfile.flush()
                    time.sleep(0.3)
                    self.wfile.write(upstream.content[quarter:half])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_WR)
                    self.close_connection = True
                    return
                self.answer(upstream.status_code, upstream.content, upstream.headers)

            def do_DELETE(self):
                upstream = self.relay()
                self.answer(upstream.status_code, upstream.content, upstream.headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def long_echo_request():
    """An echo request whose result (its JSON) is about 100 KB, no two parts alike."""
    values = [str(n) for n in range(15000)]
    return "datasource: echo\nvalues: " + "/".join(values), {"datasource": ["echo"], "values": values}


def test_a_submission_refused_for_an_outage_or_whose_answer_was_lost_is_sent_again_and_runs_once(polytope_bin, tmp_path, remote):
    """A 503 with Retry-After, then a proxy's 502 after the other server had accepted the
    request: the forwarding server sends the submission again with the same Idempotency-Key,
    and the other server answers with the request it already has."""
    proxy = FaultyProxy(remote.url, unavailable=1, lose_a_submission=True)
    forwarder = start_forwarder(polytope_bin, tmp_path, proxy)
    try:
        api = Api(forwarder, DEMO)
        text, document = long_echo_request()
        started = time.monotonic()
        request_id, response = api.processed(text, collection="federated")
        assert time.monotonic() - started >= 1, "Retry-After: 1 was honoured"
        assert json.loads(api.get(response.headers["Location"]).content) == document
        assert len(proxy.keys) == 3, proxy.keys
        assert len(set(proxy.keys)) == 1 and request_id in proxy.keys[0], proxy.keys
        listed = requests.get(remote.url + "/telemetry/v1/requests", auth=DEMO, timeout=10).json()["message"]
        assert len(listed) == 1, listed
        assert "submission repeated with its Idempotency-Key" in remote.log_tail(400)
    finally:
        forwarder.stop()
        proxy.close()


def test_a_download_cut_short_is_resumed_where_it_stopped(polytope_bin, tmp_path, remote):
    proxy = FaultyProxy(remote.url, cut_a_download=True)
    forwarder = start_forwarder(polytope_bin, tmp_path, proxy)
    try:
        api = Api(forwarder, DEMO)
        text, document = long_echo_request()
        request_id, response = api.processed(text, collection="federated")
        result = api.get(response.headers["Location"]).content
        assert json.loads(result) == document
        # The first download was cut after half of the result; the second asked for the rest.
        assert len(proxy.ranges) == 2 and proxy.ranges[0] is None, proxy.ranges
        resumed_at = int(proxy.ranges[1].removeprefix("bytes=").removesuffix("-"))
        assert len(result) // 4 <= resumed_at <= len(result) // 2, proxy.ranges
    finally:
        forwarder.stop()
        proxy.close()
