"""The REST API at the HTTP level (requests): bad input, authentication,
ownership, polling, downloads, telemetry. Every assertion is on what a caller
sees: status code, headers, JSON message text, bytes."""

import base64
import json
import re

import pytest
import requests

from conftest import ALICE, DEMO, UUID_RE, Api, PolytopeServer

# Every download URL the server hands out is a signed capability link (docs/api.md, Downloads).
SIGNED_LINK_QUERY = r"\?expires=[0-9]+&signature=[A-Za-z0-9_-]{43}"

RAISE_MESSAGE = "The raise datasource always fails (this is a test)."
WWW_AUTHENTICATE = 'Basic realm="polytope", charset="UTF-8", Bearer, EmailKey'


def message_of(response):
    """The `message` of a JSON error body, checking the body's shape."""
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    return body["message"]


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def retrieve_body(request):
    return json.dumps({"verb": "retrieve", "request": request}).encode()


# ---------------------------------------------------------------------------
# Bad input on POST /api/v1/requests/<collection>

EXAMPLE = "expected JSON such as"


def exact(text):
    return lambda message: message == text


def starts(text):
    return lambda message: message.startswith(text)


def contains(*parts):
    return lambda message: all(part in message for part in parts)


BAD_SUBMISSIONS = [
    # id, collection, raw body, expected status, message check
    ("malformed-json", "debug", b'{"verb": "retrieve", "request": ', 400,
     contains("The request body is not a JSON object;", EXAMPLE)),
    ("empty-body", "debug", b"", 400, contains("The request body is empty;", EXAMPLE)),
    ("json-array", "debug", b'[{"verb": "retrieve", "request": "1024"}]', 400,
     starts("The request body is not a JSON object;")),
    ("json-string", "debug", b'"retrieve"', 400, starts("The request body is not a JSON object;")),
    ("missing-verb", "debug", b'{"request": "datasource: echo"}', 400,
     contains("The request body has no 'verb';", EXAMPLE)),
    ("unknown-verb", "debug", b'{"verb": "x", "request": "datasource: echo"}', 400,
     exact("Unknown verb 'x'; this server supports: retrieve, archive.")),
    ("archive-to-a-retrieve-only-collection", "debug", b'{"verb": "archive", "request": {"datasource": "echo"}, "url": ""}', 400,
     contains("No datasource of collection 'debug' accepts this request", "echo: does not archive data")),
    ("missing-request", "debug", b'{"verb": "retrieve"}', 400,
     contains("The request body has no 'request';", EXAMPLE)),
    ("request-is-a-list", "debug", b'{"verb": "retrieve", "request": ["datasource: echo"]}', 400,
     contains("'request'")),
    ("unknown-collection", "nope", retrieve_body("datasource: echo"), 404,
     exact("Collection 'nope' not found; available collections: debug.")),
    ("oversize-body-2MiB", "debug", retrieve_body("datasource: echo\npad: " + "x" * (2 * 1024 * 1024)), 413,
     exact("The request body is larger than the limit of 1048576 bytes.")),
    ("no-datasource-matches", "debug", retrieve_body("datasource: nope\nparam: 2t"), 400,
     lambda m: m.startswith("No datasource of collection 'debug' accepts this request:\n")
     and all(re.search(rf"^- {name}: \S", m, re.MULTILINE) for name in ("echo", "raise", "dummy"))),
    ("bad-dummy-size", "debug", retrieve_body("datasource: dummy\nsize: abc"), 400,
     lambda m: m.startswith("No datasource of collection 'debug' accepts this request:\n")
     and "\n- dummy: size=abc is not a number of bytes" in m),
    ("empty-request-text", "debug", retrieve_body(""), 400, lambda m: len(m) > 0),
    ("yaml-list-request", "debug", retrieve_body("- datasource: echo\n- datasource: echo"), 400,
     lambda m: len(m) > 0),
    ("yaml-tag", "debug", retrieve_body("datasource: echo\nx: !!python/object/apply:os.system [ls]"), 400,
     lambda m: len(m) > 0),
    ("broken-yaml", "debug", retrieve_body("a: [1, 2\nb: {"), 400, lambda m: len(m) > 0),
    ("yaml-anchor-alias", "debug", retrieve_body("a: &x [1]\nb: *x"), 400,
     lambda m: "anchor" in m.lower() or "alias" in m.lower()),
    ("nul-in-request-text", "debug", b'{"verb": "retrieve", "request": "datasource: echo\\nnote: a\\u0000b"}', 400,
     contains("\\u0000 (NUL) is not accepted in strings")),
    ("request-text-not-utf8", "debug", b'{"verb": "retrieve", "request": "datasource: echo\\nnote: \xff\xfe"}', 400,
     contains("a string is not valid UTF-8")),
    ("nested-flow-1000", "debug", retrieve_body("[" * 1000 + "]" * 1000), 400, lambda m: "nest" in m.lower()),
    ("nested-flow-value-1000", "debug", retrieve_body("a: " + "{b: " * 1000 + "1" + "}" * 1000), 400,
     lambda m: "nest" in m.lower()),
    ("nested-block-1000", "debug",
     retrieve_body("".join("  " * depth + "k:\n" for depth in range(1000)) + "  " * 1000 + "v"), 400,
     lambda m: "nest" in m.lower()),
]


@pytest.mark.parametrize(
    "collection, body, status, check",
    [case[1:] for case in BAD_SUBMISSIONS],
    ids=[case[0] for case in BAD_SUBMISSIONS],
)
def test_bad_submission_is_rejected_and_server_keeps_serving(server, api, collection, body, status, check):
    before = api.list_ids()
    response = api.post(f"/api/v1/requests/{collection}", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    message = message_of(response)
    assert check(message), f"unexpected message: {message!r}"
    assert "Location" not in response.headers
    server.assert_alive()
    assert api.list_ids() == before, "a rejected submission must not create a request"


def test_deeply_nested_json_body_does_not_crash_the_server(server, api):
    depth = 200_000  # about 400 KB, under the 1 MiB body limit
    body = b'{"verb": "retrieve", "request": "datasource: echo", "extra": ' + b"[" * depth + b"]" * depth + b"}"
    response = api.post("/api/v1/requests/debug", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    message_of(response)
    server.assert_alive()


# ---------------------------------------------------------------------------
# Authentication

AUTHENTICATED_ROUTES = [
    ("GET", "/api/v1/collections"),
    ("GET", "/api/v1/requests"),
    ("GET", "/api/v1/requests/debug"),
    ("GET", "/api/v1/user"),
    ("POST", "/api/v1/requests/debug"),
    ("GET", "/api/v1/requests/00000000-0000-4000-8000-000000000000"),
    ("DELETE", "/api/v1/requests/all"),
    ("GET", "/api/v1/downloads/00000000-0000-4000-8000-000000000000"),
]

AUTH_FAILURES = [
    ("missing-header", None, lambda m: m.startswith("Missing Authorization header;")),
    ("unknown-scheme", "Foo abc", exact("Unsupported authorization scheme 'Foo'; this server accepts: Basic, Bearer, EmailKey.")),
    ("wrong-password", basic("demo", "wrong"), exact("Invalid credentials.")),
    ("unknown-user", basic("mallory", "demo"), exact("Invalid credentials.")),
    ("empty-password", basic("demo", ""), exact("Invalid credentials.")),
    ("basic-not-base64", "Basic %%%not-base64%%%", lambda m: len(m) > 0),
    ("basic-without-colon", "Basic " + base64.b64encode(b"demo").decode(), lambda m: len(m) > 0),
]


@pytest.mark.parametrize("method, path", AUTHENTICATED_ROUTES, ids=[f"{m} {p}" for m, p in AUTHENTICATED_ROUTES])
@pytest.mark.parametrize("authorization, check", [c[1:] for c in AUTH_FAILURES], ids=[c[0] for c in AUTH_FAILURES])
def test_bad_credentials_get_401(server, anonymous_api, method, path, authorization, check):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = anonymous_api.request(method, path, headers=headers, data=retrieve_body("datasource: echo"))
    assert response.status_code == 401, response.text
    assert response.headers.get("WWW-Authenticate") == WWW_AUTHENTICATE
    message = message_of(response)
    assert check(message), f"unexpected message: {message!r}"
    assert "expired" not in message.lower()  # polytope-client crashes on 401s saying "expired"
    server.assert_alive()


def test_unauthenticated_liveness_route(anonymous_api):
    response = anonymous_api.get("/api/v1/test")
    assert response.status_code == 200
    assert response.json() == {"message": "Polytope server is alive"}


def test_multi_credential_header_with_one_valid_basic_is_accepted(anonymous_api):
    headers = {"Authorization": "Bearer junk, " + basic(*DEMO)}
    response = anonymous_api.get("/api/v1/collections", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"message": ["debug"]}
    response = anonymous_api.get("/api/v1/user", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "demo"


def test_collections(api, alice_api):
    for each in (api, alice_api):
        response = each.get("/api/v1/collections")
        assert response.status_code == 200
        assert response.json() == {"message": ["debug"]}


def test_user_description_is_all_strings(api, alice_api):
    for each, name in ((api, "demo"), (alice_api, "alice")):
        response = each.get("/api/v1/user")
        assert response.status_code == 200, response.text
        body = response.json()
        assert {"username", "realm", "roles", "live requests"} <= body.keys()
        assert all(isinstance(value, str) for value in body.values()), body
        assert body["username"] == name
        assert "default" in body["roles"]
        assert body["live requests"].isdigit()


# ---------------------------------------------------------------------------
# Submit and poll


def test_submit_answers_202_with_location_and_retry_after(server, api):
    response = api.post("/api/v1/requests/debug", json={"verb": "retrieve", "request": "datasource: echo\nx: 1"})
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    match = re.fullmatch(re.escape(server.url) + r"/api/v1/requests/(" + UUID_RE + ")", location)
    assert match, location
    request_id = match.group(1)
    assert response.headers["Retry-After"].strip().isdigit()
    body = response.json()
    assert body["status"] == "waiting"
    assert body["id"] == request_id
    assert body["message"].startswith(f"Request {request_id} accepted")
    assert api.poll(request_id).status_code == 303


def test_processed_poll_answers_303_with_json_pointer(server, api):
    request_id, response = api.processed("datasource: dummy\nsize: 1000")
    location = response.headers["Location"]
    assert re.fullmatch(re.escape(f"{server.url}/api/v1/downloads/{request_id}") + SIGNED_LINK_QUERY, location), location
    body = response.json()
    assert body == {"id": request_id, "location": location, "contentLength": 1000, "contentType": "application/x-grib"}


def test_failed_request_poll_answers_400_with_reason(api):
    request_id = api.submit("datasource: raise")
    response = api.poll(request_id)
    assert response.status_code == 400, response.text
    message = message_of(response)
    assert message.startswith("Request failed with error:\n")
    assert message == "Request failed with error:\n" + RAISE_MESSAGE
    entry = next(e for e in api.list_requests() if e["id"] == request_id)
    assert entry["status"] == "failed"
    assert RAISE_MESSAGE in entry["user_message"]


@pytest.mark.parametrize("request_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "..%2F..%2Fetc"])
def test_unknown_request_id_is_404(server, api, request_id):
    for method in ("GET", "DELETE"):
        response = api.request(method, f"/api/v1/requests/{request_id}")
        assert response.status_code == 404, response.text
        assert message_of(response)
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 404, response.text
    assert message_of(response)
    server.assert_alive()


def test_unknown_request_id_message(api):
    request_id = "00000000-0000-4000-8000-000000000000"
    response = api.get(f"/api/v1/requests/{request_id}")
    assert message_of(response) == f"Request {request_id} not found."


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/requests", "/nothing", "/telemetry/v1/nothing"])
def test_unknown_route_is_404_json(api, path):
    response = api.get(path)
    assert response.status_code == 404, response.text
    assert message_of(response)


def test_an_ipv6_listen_address_is_served_and_logged_as_a_url(polytope_bin, tmp_path):
    server = PolytopeServer("ipv6", polytope_bin, tmp_path, roles="frontend", host="::1").start()
    try:
        assert requests.get(server.url + "/api/v1/test", timeout=10).status_code == 200
        assert f"listening on http://[::1]:{server.port}" in server.log_tail()
    finally:
        server.stop()


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/api/v1/requests/00000000-0000-4000-8000-000000000000", "DELETE, GET, HEAD, POST"),
    ("PATCH", "/api/v1/requests/debug", "DELETE, GET, HEAD, POST"),
    ("DELETE", "/api/v1/downloads/00000000-0000-4000-8000-000000000000", "GET, HEAD"),
    ("POST", "/api/v1/collections", "GET, HEAD"),
    ("POST", "/telemetry/v1/health", "GET, HEAD"),
    ("HEAD", "/api/v1/auth/keys", "POST"),
])
def test_a_method_the_path_does_not_answer_is_405_with_allow(server, method, path, allow):
    response = requests.request(method, server.url + path, timeout=10)  # no credentials needed to learn it
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert message_of(response) == f"{method} is not allowed here; this path answers {allow}."


@pytest.mark.parametrize("path, auth", [
    ("/api/v1/test", None), ("/telemetry/v1/health", None), ("/api/v1/collections", DEMO), ("/api/v1/collections", None),
    ("/api/v1/requests/00000000-0000-4000-8000-000000000000", DEMO),
])
def test_head_answers_as_get_without_the_body(server, path, auth):
    """RFC 9110: a server answers HEAD wherever it answers GET (it answered 405)."""
    session = requests.Session()
    get = session.get(server.url + path, auth=auth, timeout=10)
    head = session.head(server.url + path, auth=auth, timeout=10)
    assert head.status_code == get.status_code and head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == str(len(get.content))
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert session.get(server.url + "/api/v1/test", timeout=10).status_code == 200, "the connection is still usable"


def test_list_entries_have_documented_fields(api):
    request_id, _ = api.processed("datasource: echo\nlisted: yes")
    for collection in (None, "debug"):
        entry = next(e for e in api.list_requests(collection) if e["id"] == request_id)
        expected = {"id", "status", "verb", "collection", "datasource", "user_request", "user_message", "timestamp",
                    "last_modified", "attempts", "status_history", "content_length", "content_type", "url"}
        assert expected <= entry.keys(), entry
        assert entry["status"] == "processed"
        assert entry["verb"] == "retrieve"
        assert entry["collection"] == "debug"
        assert entry["datasource"] == "echo"
        assert entry["user_request"] == "datasource: echo\nlisted: yes"
        assert entry["content_length"] == len("datasource: echo\nlisted: yes")
        assert entry["content_type"] == "application/octet-stream"
        assert re.search(re.escape(f"/api/v1/downloads/{request_id}") + SIGNED_LINK_QUERY + "$", entry["url"]), entry["url"]


def test_listing_an_unknown_collection_is_404(api):
    # /api/v1/requests/<x> is a collection's list or one request's status;
    # either way an unknown name is a 404 with a JSON message.
    response = api.get("/api/v1/requests/nope")
    assert response.status_code == 404, response.text
    assert "nope" in message_of(response)


# ---------------------------------------------------------------------------
# Ownership: alice cannot see or touch demo's request


def test_other_users_request_is_invisible(server, api, alice_api):
    request_id, _ = api.processed("datasource: echo\nowner: demo")
    not_found = f"Request {request_id} not found."

    response = alice_api.get(f"/api/v1/requests/{request_id}")
    assert (response.status_code, message_of(response)) == (404, not_found)
    response = alice_api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 404, response.text
    assert response.content != b"datasource: echo\nowner: demo"
    response = alice_api.head(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 404
    response = alice_api.delete(f"/api/v1/requests/{request_id}")
    assert (response.status_code, message_of(response)) == (404, not_found)
    assert request_id not in alice_api.list_ids()
    assert request_id not in alice_api.list_ids("debug")
    alice_api.revoke_all()

    # demo still has it, intact
    assert api.get(f"/api/v1/requests/{request_id}").status_code == 303
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 200
    assert response.content == b"datasource: echo\nowner: demo"
    assert request_id in api.list_ids()
    assert request_id in api.list_ids("debug")


# ---------------------------------------------------------------------------
# Downloads


@pytest.fixture(scope="module")
def dummy_download(server):
    """A processed dummy request of 1000 bytes: (id, full body)."""
    api = Api(server, DEMO)
    request_id, _ = api.processed("datasource: dummy\nsize: 1000")
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 200
    return request_id, response.content


def test_download_full_dummy(api, dummy_download):
    request_id, content = dummy_download
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-grib"
    assert response.headers["Content-Length"] == "1000"
    assert response.headers.get("Accept-Ranges") == "bytes"
    assert len(response.content) == 1000
    assert response.content == content


def test_download_echo_is_octet_stream_with_the_request_text(api):
    text = "datasource: echo\nparam: 2t\nstep: [0, 6, 12]\n# comment kept\n"
    request_id, pointer = api.processed(text)
    assert pointer.json()["contentType"] == "application/octet-stream"
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Length"] == str(len(text.encode()))
    assert response.content == text.encode()


def test_head_download_has_length_and_no_body(api, dummy_download):
    request_id, _ = dummy_download
    response = api.head(f"/api/v1/downloads/{request_id}")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "1000"
    assert response.headers["Content-Type"] == "application/x-grib"
    assert response.content == b""


def test_download_preconditions_that_fail_are_412(api, dummy_download):
    """If-Match and If-Unmodified-Since were ignored (RFC 9110 asks for 412 when they fail)."""
    request_id, _ = dummy_download
    path = f"/api/v1/downloads/{request_id}"
    etag = api.head(path).headers["ETag"]
    assert api.get(path, headers={"If-Match": etag}).status_code == 200
    for headers in ({"If-Match": '"nope"'}, {"If-Unmodified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}):
        refused = api.get(path, headers=headers)
        assert refused.status_code == 412 and refused.headers["ETag"] == etag, refused.text
        assert "If-Match or If-Unmodified-Since" in message_of(refused)


@pytest.mark.parametrize(
    "range_header, start, end",
    [("bytes=10-19", 10, 19), ("bytes=0-0", 0, 0), ("bytes=990-", 990, 999), ("bytes=-5", 995, 999), ("bytes=995-5000", 995, 999)],
)
def test_range_download_206(api, dummy_download, range_header, start, end):
    request_id, content = dummy_download
    response = api.get(f"/api/v1/downloads/{request_id}", headers={"Range": range_header})
    assert response.status_code == 206, response.text
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/1000"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.content == content[start:end + 1]


@pytest.mark.parametrize("range_header", ["bytes=1000-1010", "bytes=5000-"])
def test_range_beyond_size_416(server, api, dummy_download, range_header):
    request_id, _ = dummy_download
    response = api.get(f"/api/v1/downloads/{request_id}", headers={"Range": range_header})
    assert response.status_code == 416, response.text
    assert response.headers["Content-Range"] == "bytes */1000"
    server.assert_alive()


def test_sendfile_downloads_are_the_staged_bytes_on_one_connection(server, api):
    """Downloads from filesystem staging go out with sendfile: exact bytes, whole and in
    ranges, interleaved with ordinary responses on one kept-alive connection."""
    text = "datasource: echo\nlines: |\n" + "".join(f"  {i:06d} {'abcdefghij'[i % 10] * (i % 50)}\n" for i in range(20000))
    assert len(text) > 500_000
    request_id, _ = api.processed(text)
    staged = list((server.data_dir / "staging").glob(f"{request_id}.*"))
    assert len(staged) == 1
    expected = text.encode()
    assert staged[0].read_bytes() == expected
    for _ in range(2):
        whole = api.get(f"/api/v1/downloads/{request_id}")
        assert whole.status_code == 200 and whole.content == expected
        assert api.get(f"/api/v1/requests/{request_id}").status_code == 303
        for start, end in [(0, 0), (1, 65536), (123457, 400000), (len(expected) - 10, len(expected) - 1)]:
            part = api.get(f"/api/v1/downloads/{request_id}", headers={"Range": f"bytes={start}-{end}"})
            assert part.status_code == 206
            assert part.content == expected[start:end + 1]
        head = api.head(f"/api/v1/downloads/{request_id}")
        assert head.headers["Content-Length"] == str(len(expected)) and head.content == b""
        assert "x-polytope-file-region" not in {name.lower() for name in whole.headers}
    server.assert_alive()


def test_no_content_encoding_even_when_gzip_is_accepted(api, dummy_download):
    request_id, content = dummy_download
    raw = api.get(f"/api/v1/downloads/{request_id}", headers={"Accept-Encoding": "gzip, deflate"}, stream=True)
    assert raw.status_code == 200
    assert "Content-Encoding" not in raw.headers
    assert raw.headers["Content-Length"] == "1000"
    assert raw.raw.read() == content  # the bytes on the wire, undecoded


def test_download_of_unfinished_or_failed_request_is_not_data(api):
    request_id = api.submit("datasource: raise")
    api.poll(request_id)
    response = api.get(f"/api/v1/downloads/{request_id}")
    assert 400 <= response.status_code < 500, response.text
    assert message_of(response)


# ---------------------------------------------------------------------------
# Queue (no workers): list, poll, revoke


def test_queued_request_is_listed_and_polls_202(queue_server, idle_queue):
    api = Api(queue_server, DEMO)
    request_id = api.submit("datasource: echo\nq: 1")
    response = api.wait_for_status(request_id, {"queued"})
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    entry = next(e for e in api.list_requests() if e["id"] == request_id)
    assert entry["status"] == "queued"
    assert entry["verb"] == "retrieve"
    assert entry["collection"] == "debug"
    assert entry["user_request"] == "datasource: echo\nq: 1"
    assert request_id in api.list_ids("debug")
    user = api.get("/api/v1/user").json()
    assert user["live requests"] == "1"


def test_revoke_one_queued_request(queue_server, idle_queue):
    api = Api(queue_server, DEMO)
    keep = api.submit("datasource: echo\nkeep: 1")
    request_id = api.submit("datasource: echo\nrevoke: 1")
    response = api.delete(f"/api/v1/requests/{request_id}")
    assert response.status_code == 200, response.text
    assert response.json() == {"message": f"Request {request_id} revoked."}

    response = api.get(f"/api/v1/requests/{request_id}")
    assert (response.status_code, message_of(response)) == (404, f"Request {request_id} not found.")
    assert request_id not in api.list_ids()
    assert request_id not in api.list_ids("debug")
    response = api.delete(f"/api/v1/requests/{request_id}")
    assert response.status_code == 404, response.text
    assert keep in api.list_ids()
    assert api.get(f"/api/v1/requests/{keep}").status_code == 202


def test_revoke_all(queue_server, idle_queue):
    api = Api(queue_server, DEMO)
    alice = Api(queue_server, ALICE)
    ids = [api.submit(f"datasource: echo\nn: {i}") for i in range(3)]
    alices = alice.submit("datasource: echo\nowner: alice")
    assert set(ids) <= set(api.list_ids())

    response = api.delete("/api/v1/requests/all")
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Successfully revoked 3 requests."}
    assert api.list_ids() == []
    for request_id in ids:
        assert api.get(f"/api/v1/requests/{request_id}").status_code == 404
    assert api.delete("/api/v1/requests/all").json() == {"message": "Successfully revoked 0 requests."}

    # alice's request is untouched by demo's revoke all
    assert alice.list_ids() == [alices]
    assert alice.get(f"/api/v1/requests/{alices}").status_code == 202


def test_other_user_cannot_revoke_queued_request(queue_server, idle_queue):
    api = Api(queue_server, DEMO)
    alice = Api(queue_server, ALICE)
    request_id = api.submit("datasource: echo\nowner: demo")
    response = alice.delete(f"/api/v1/requests/{request_id}")
    assert (response.status_code, message_of(response)) == (404, f"Request {request_id} not found.")
    assert alice.get(f"/api/v1/requests/{request_id}").status_code == 404
    assert alice.delete("/api/v1/requests/all").json() == {"message": "Successfully revoked 0 requests."}
    assert api.list_ids() == [request_id]
    assert api.get(f"/api/v1/requests/{request_id}").status_code == 202


# ---------------------------------------------------------------------------
# Telemetry


def test_telemetry_health_and_ready(server):
    session = requests.Session()
    session.trust_env = False
    response = session.get(server.url + "/telemetry/v1/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    response = session.get(server.url + "/telemetry/v1/ready", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    response = session.get(server.url + "/telemetry/v1/summary", timeout=10)
    assert response.status_code == 200
    assert isinstance(response.json(), dict)


def test_telemetry_summary_counts_processed_requests(server, api):
    api.processed("datasource: echo\ncounted: yes")
    session = requests.Session()
    session.trust_env = False
    summary = session.get(server.url + "/telemetry/v1/summary", auth=DEMO, timeout=10).json()
    assert summary["requestsByStatus"]["processed"] >= 1
    assert summary["requestsByCollection"]["debug"]["processed"] >= 1


# ---------------------------------------------------------------------------
# Restart: the store on disk is the source of truth


def test_queued_request_survives_a_restart_and_is_then_processed(polytope_bin, tmp_path):
    text = "datasource: echo\nsurvives: restart\n"
    first = PolytopeServer("restart-queue-only", polytope_bin, tmp_path, roles="frontend,broker,telemetry").start()
    try:
        request_id = Api(first, DEMO).submit(text)
        Api(first, DEMO).wait_for_status(request_id, {"queued"})
    finally:
        first.stop()

    second = PolytopeServer("restart-all-roles", polytope_bin, tmp_path).start()
    try:
        api = Api(second, DEMO)
        response = api.poll(request_id)
        assert response.status_code == 303, response.text
        download = api.get(f"/api/v1/downloads/{request_id}")
        assert download.status_code == 200
        assert download.content == text.encode()
    finally:
        second.stop()
