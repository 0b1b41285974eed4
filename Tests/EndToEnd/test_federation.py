"""Federation end to end: server A's collection forwards to server B (`type: polytope`),
on behalf of the user, with a shared secret; the real client talks only to A."""

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
        assert api.get(response.headers["Location"]).text == "datasource: echo\nparam: 2t"
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
        assert "refused this server's credentials (401)" in response.json()["message"], response.text
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
