"""The real polytope-client 0.7.10 (Python API and CLI) against the server."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ALICE, DEMO, UUID_RE, Api

RAISE_MESSAGE = "The raise datasource always fails (this is a test)."


def request_id_of(result):
    """The id at the end of an async Result's Location URL."""
    match = re.fullmatch(r".*/api/v1/requests/(" + UUID_RE + ")", result.request_url)
    assert match, result.request_url
    return match.group(1)


def test_ping_and_list_collections(server, make_client, run_cli):
    client = make_client(server)
    client.ping()
    assert client.list_collections() == ["debug"]
    done = run_cli(server, "list", "collections")
    assert done.returncode == 0, done.stderr
    assert "debug" in done.stdout + done.stderr


def test_cli_retrieve_echo_from_yaml_file(server, run_cli, tmp_path):
    text = "# an echo request\ndatasource: echo\nparam: 2t/msl\nstep: [0, 6, 12]\nlevelist:\n  - 500\n  - 850\n"
    request_file = tmp_path / "req.yaml"
    request_file.write_text(text)
    output = tmp_path / "out.bin"
    done = run_cli(server, "retrieve", "debug", str(request_file), str(output))
    assert done.returncode == 0, done.stderr
    assert output.read_bytes() == text.encode()


def test_cli_retrieve_echo_inline(server, run_cli, tmp_path):
    text = "{datasource: echo, param: 2t, via: cli}"
    output = tmp_path / "out.bin"
    done = run_cli(server, "retrieve", "debug", "-e", text, str(output))
    assert done.returncode == 0, done.stderr
    assert output.read_bytes() == text.encode()


def test_api_retrieve_echo_inline_to_file(server, make_client, tmp_path):
    text = "datasource: echo\nparam: 2t\nvia: api\n"
    output = tmp_path / "out.bin"
    result = make_client(server).retrieve("debug", text, str(output))
    assert result == [str(output)]
    assert output.read_bytes() == text.encode()


def test_api_retrieve_echo_without_output_file_returns_bytes(server, make_client):
    text = '{"datasource": "echo", "format": "json"}'
    assert make_client(server).retrieve("debug", text) == [text.encode()]


def test_api_retrieve_mars_style_inline(server, make_client, tmp_path):
    text = "datasource = echo, class = od, param = 2t/msl, step = 0/6/12, date = 20240101"
    output = tmp_path / "mars.bin"
    make_client(server).retrieve("debug", text, str(output))
    assert output.read_bytes() == text.encode()


def test_api_retrieve_dummy_10_mib(server, make_client, tmp_path):
    output = tmp_path / "dummy.grib"
    make_client(server).retrieve("debug", "datasource: dummy\nsize: 10485760", str(output))
    assert output.stat().st_size == 10485760


def test_api_retrieve_bare_integer_goes_to_dummy(server, make_client, tmp_path):
    output = tmp_path / "int.grib"
    make_client(server).retrieve("debug", "1024", str(output))
    assert output.stat().st_size == 1024


def test_api_retrieve_raise_surfaces_the_reason(server, make_client, polytope_client_module, tmp_path):
    from polytope.api.helpers import HTTPResponseError

    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("debug", "datasource: raise", str(tmp_path / "never.bin"))
    assert caught.value.response.status_code == 400
    assert any(RAISE_MESSAGE in str(message) for message in caught.value.messages), caught.value.messages
    assert "The raise datasource always fails" in str(caught.value)
    assert not (tmp_path / "never.bin").exists()


def test_cli_retrieve_raise_exits_1_with_the_reason(server, run_cli, tmp_path):
    done = run_cli(server, "retrieve", "debug", "-e", "datasource: raise", str(tmp_path / "never.bin"))
    assert done.returncode == 1
    assert "The raise datasource always fails" in done.stdout + done.stderr


def test_api_retrieve_rejected_request_surfaces_the_reason(server, make_client, polytope_client_module, tmp_path):
    from polytope.api.helpers import HTTPResponseError

    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("debug", "datasource: dummy\nsize: abc", str(tmp_path / "never.bin"))
    assert caught.value.response.status_code == 400
    assert any("size=abc is not a number of bytes" in str(m) for m in caught.value.messages), caught.value.messages


def test_api_retrieve_unknown_collection_is_404(server, make_client, polytope_client_module, tmp_path):
    from polytope.api.helpers import HTTPResponseError

    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("nope", "datasource: echo", str(tmp_path / "never.bin"))
    assert caught.value.response.status_code == 404
    assert "Collection 'nope' not found; available collections: debug." in caught.value.messages


def test_pointer_retrieve(server, make_client):
    client = make_client(server)
    [pointer] = client.retrieve("debug", "datasource: dummy\nsize: 4096", pointer=True)
    assert isinstance(pointer, dict), pointer
    match = re.fullmatch(re.escape(server.url) + r"/api/v1/downloads/(" + UUID_RE + r")\?expires=[0-9]+&signature=[A-Za-z0-9_-]{43}", pointer["location"])
    assert match, pointer
    request_id = match.group(1)
    assert int(pointer["contentLength"]) == 4096
    assert pointer["contentType"] == "application/x-grib"
    assert request_id in client.list_requests()
    data = Api(server, DEMO).get(pointer["location"])
    assert data.status_code == 200
    assert len(data.content) == int(pointer["contentLength"])


def test_async_retrieve_then_download(server, make_client, tmp_path):
    client = make_client(server)
    text = "datasource: echo\nmode: async-then-download\n"
    [result] = client.retrieve("debug", text, str(tmp_path / "unused.bin"), asynchronous=True)
    request_id = request_id_of(result)
    assert Api(server, DEMO).poll(request_id).status_code == 303
    output = tmp_path / "downloaded.bin"
    client.download(request_id, str(output))
    assert output.read_bytes() == text.encode()


def test_async_submit_list_describe_revoke(queue_server, idle_queue, make_client, run_cli):
    client = make_client(queue_server)
    [result] = client.retrieve("debug", "datasource: echo\nasync: true", asynchronous=True)
    request_id = request_id_of(result)

    assert client.list_requests() == [request_id]
    assert request_id in client.list_requests(collection_id="debug")
    described = client.describe_request(request_id)
    assert described["id"] == request_id
    assert isinstance(described["status"], str) and described["status"] in {"waiting", "queued"}
    assert described["verb"] == "retrieve"
    assert described["collection"] == "debug"
    assert described["user_request"] == "datasource: echo\nasync: true"
    assert result.describe()["id"] == request_id

    listed = run_cli(queue_server, "list", "requests")
    assert listed.returncode == 0, listed.stderr
    assert request_id in listed.stdout + listed.stderr
    described_cli = run_cli(queue_server, "describe", "request", request_id)
    assert described_cli.returncode == 0, described_cli.stderr

    client.revoke(request_id)
    assert request_id not in client.list_requests()
    response = Api(queue_server, DEMO).get(f"/api/v1/requests/{request_id}")
    assert response.status_code == 404, response.text


def test_cli_revoke(queue_server, idle_queue, run_cli):
    request_id = Api(queue_server, DEMO).submit("datasource: echo\nrevoked-by: cli")
    done = run_cli(queue_server, "revoke", request_id)
    assert done.returncode == 0, done.stderr
    assert Api(queue_server, DEMO).get(f"/api/v1/requests/{request_id}").status_code == 404


def test_revoke_all(queue_server, idle_queue, make_client):
    client = make_client(queue_server)
    ids = [request_id_of(r) for r in client.retrieve(
        "debug", [f"datasource: echo\nn: {i}" for i in range(4)], asynchronous=True)]
    assert len(set(ids)) == 4
    assert sorted(client.list_requests()) == sorted(ids)
    client.revoke("all")
    assert client.list_requests() == []
    for request_id in ids:
        assert Api(queue_server, DEMO).get(f"/api/v1/requests/{request_id}").status_code == 404


def test_twenty_concurrent_retrieves(server, make_client, tmp_path):
    texts = [f"datasource: echo\nthread: {i}\nnonce: {uuid.uuid4()}\n" for i in range(20)]

    def retrieve(index):
        output = tmp_path / f"out-{index}.bin"
        make_client(server).retrieve("debug", texts[index], str(output))
        return output.read_bytes()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outputs = list(pool.map(retrieve, range(20)))
    for text, output in zip(texts, outputs):
        assert output == text.encode()


@pytest.mark.parametrize("credentials", [("demo", "wrong"), ("mallory", "demo"), ("alice", "demo")])
def test_wrong_credentials_are_rejected(server, make_client, polytope_client_module, credentials, tmp_path):
    from polytope.api.helpers import HTTPResponseError

    client = make_client(server, credentials)
    with pytest.raises(HTTPResponseError) as caught:
        client.list_collections()
    assert caught.value.response.status_code == 401
    assert caught.value.messages == ["Invalid credentials."]
    with pytest.raises(HTTPResponseError) as caught:
        client.retrieve("debug", "datasource: echo", str(tmp_path / "never.bin"))
    assert caught.value.response.status_code == 401
    assert not (tmp_path / "never.bin").exists()


def test_cli_wrong_password_exits_1(server, run_cli):
    done = run_cli(server, "list", "collections", credentials=("demo", "wrong"))
    assert done.returncode == 1
    assert "Invalid credentials." in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_describe_user(server, make_client, run_cli):
    done = run_cli(server, "describe", "user")
    assert done.returncode == 0, done.stderr
    assert "demo" in done.stdout + done.stderr
    done = run_cli(server, "describe", "user", credentials=ALICE)
    assert done.returncode == 0, done.stderr
    assert "alice" in done.stdout + done.stderr
    make_client(server).describe_user()


def test_other_users_requests_are_not_listed_by_the_client(server, make_client):
    demo, alice = make_client(server, DEMO), make_client(server, ALICE)
    [pointer] = demo.retrieve("debug", "datasource: echo\nowner: demo", pointer=True)
    request_id = pointer["location"].split("?")[0].rsplit("/", 1)[-1]
    assert request_id in demo.list_requests()
    assert request_id not in alice.list_requests()
