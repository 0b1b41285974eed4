"""Reused results (issue 10): in a collection with `reuse-results`, a retrieval identical to
one whose result is still staged is answered from that result at once, for any user allowed
in the collection, and the shared result lives until its last request is gone."""

import re

import pytest

from conftest import ALICE, DEMO, Api, PolytopeServer

REUSE = "collections:\n  debug:\n    reuse-results: 10m\n"


@pytest.fixture(scope="module")
def reusing(polytope_bin, tmp_path_factory):
    server = PolytopeServer("reuse", polytope_bin, tmp_path_factory.mktemp("reuse"), override_config=REUSE).start()
    yield server
    server.stop()


def reused_count(server):
    text = Api(server, DEMO).get("/telemetry/v1/metrics").text  # a collection's metrics show to its users
    return sum(float(value) for value in re.findall(r'^polytope_results_reused_total\{[^}]*collection="debug"[^}]*\} (\S+)$', text, re.M))


def staged_files(server):
    return sorted(path for path in server.data_dir.rglob("*") if path.is_file() and "staging" in path.parts)


def test_an_identical_request_is_answered_from_the_staged_result(reusing):
    demo, alice = Api(reusing, DEMO), Api(reusing, ALICE)
    request = "datasource: dummy\nsize: 123456"
    first_id, first = demo.processed(request)
    original = demo.get(first.headers["Location"]).content
    assert len(original) == 123456
    before = reused_count(reusing)
    files = staged_files(reusing)
    assert files, "the result is staged under the data directory"

    # Another user, same request: answered at once, as processed, from the same bytes.
    response = alice.post("/api/v1/requests/debug", json={"verb": "retrieve", "request": request})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "processed"
    assert "Answered from the staged result of an identical request" in response.json()["message"]
    reused_id = response.json()["id"]
    assert reused_id != first_id, "the user gets a request of their own"
    poll = alice.poll(reused_id)
    assert poll.status_code == 303
    assert alice.get(poll.headers["Location"]).content == original
    assert reused_count(reusing) == before + 1
    assert staged_files(reusing) == files, "nothing new was staged"
    listed = {entry["id"]: entry for entry in alice.list_requests()}
    assert listed[reused_id]["status"] == "processed"

    # A different request runs.
    other_id, _ = alice.processed("datasource: dummy\nsize: 654321")
    assert reused_count(reusing) == before + 1

    # The first owner revokes: the other's copy still downloads; the last revocation frees it.
    assert demo.delete(f"/api/v1/requests/{first_id}").status_code == 200
    assert alice.get(alice.poll(reused_id).headers["Location"]).content == original
    assert alice.delete(f"/api/v1/requests/{reused_id}").status_code == 200
    assert alice.delete(f"/api/v1/requests/{other_id}").status_code == 200
    assert [path for path in staged_files(reusing) if path in files] == [], "the shared result is deleted with its last request"


def test_a_submission_with_an_idempotency_key_is_answered_from_the_staged_result_too(reusing):
    demo, alice = Api(reusing, DEMO), Api(reusing, ALICE)
    request = "datasource: dummy\nsize: 2345"
    first_id, _ = demo.processed(request)
    before = reused_count(reusing)
    body = {"verb": "retrieve", "request": request}
    headers = {"Idempotency-Key": "reuse-with-a-key"}
    response = alice.post("/api/v1/requests/debug", json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "processed", "answered at once, not run again"
    reused_id = response.json()["id"]
    assert reused_id != first_id
    assert reused_count(reusing) == before + 1

    # The retry with the key gets the same request, not a second copy.
    again = alice.post("/api/v1/requests/debug", json=body, headers=headers)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == reused_id
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert reused_count(reusing) == before + 1
    assert alice.poll(reused_id).status_code == 303
    alice.revoke_all()
    demo.revoke_all()


def test_results_that_depend_on_the_text_as_written_are_not_shared(reusing):
    """echo answers the text as written: another user's request, identical once normalised
    but with a comment of its own, runs and gets its own text (it got the first user's)."""
    demo, alice = Api(reusing, DEMO), Api(reusing, ALICE)
    first_id, first = demo.processed("datasource: echo\nparam: shared   # demo's private note")
    second_id = alice.submit("datasource: echo\nparam: shared")
    second = alice.poll(second_id)
    assert second.status_code == 303, second.text
    assert "Answered from" not in second.text
    assert alice.get(second.headers["Location"]).content == b"datasource: echo\nparam: shared"
    demo.revoke_all()
    alice.revoke_all()


def test_without_reuse_every_request_runs(server):
    # The e2e servers turn reuse off (e2e-defaults.yaml), as an operator would.
    api = Api(server, DEMO)
    ids = [api.submit("datasource: echo\nsame: yes") for _ in range(2)]
    for request_id in ids:
        assert api.poll(request_id).status_code == 303
    assert "Answered from" not in str(api.list_requests())
    api.revoke_all()
