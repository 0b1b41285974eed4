"""Duplicates (issue 10): a POST repeated with the same `Idempotency-Key` gives back the
first request, also when the server died between committing the first and answering it;
the same key with a different body is 422."""

import os

import pytest
import requests

from conftest import ALICE, DEMO, Api, PolytopeServer

ECHO = {"verb": "retrieve", "request": "datasource: echo\nwhat: once"}


def post(api, body, key):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post("/api/v1/requests/debug", json=body, headers=headers)


def test_a_repeated_post_with_the_same_key_returns_the_first_request(api, alice_api):
    api.revoke_all()
    first = post(api, ECHO, "order-42")
    assert first.status_code == 202, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = post(api, ECHO, "order-42")
    assert again.status_code == 202, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # Once processed, a repeat still names the same request (and its current status).
    api.poll(first.json()["id"])
    later = post(api, ECHO, "order-42")
    assert later.json()["id"] == first.json()["id"] and later.json()["status"] == "processed", later.text
    assert api.list_ids().count(first.json()["id"]) == 1 and len(api.list_ids()) == 1

    different = post(api, {**ECHO, "request": "datasource: echo\nwhat: else"}, "order-42")
    assert different.status_code == 422, different.text
    assert "was used for a different request" in different.json()["message"]

    theirs = post(alice_api, ECHO, "order-42")
    assert theirs.status_code == 202 and theirs.json()["id"] != first.json()["id"], "keys belong to one user"
    without = [post(api, ECHO, None).json()["id"] for _ in range(2)]
    assert len(set(without)) == 2, "without a key, every POST is a new request"

    for bad in ["", "a" * 256, "has space"]:
        response = post(api, ECHO, bad)
        assert response.status_code == 400, (bad, response.text)
        assert "Idempotency-Key" in response.json()["message"]
    api.revoke_all()
    alice_api.revoke_all()


def test_a_retry_after_the_server_died_between_commit_and_answer_gets_the_same_request(polytope_bin, tmp_path):
    data = tmp_path / "data"
    (tmp_path / "crashing").mkdir()
    (tmp_path / "restarted").mkdir()
    saved = os.environ.get("POLYTOPE_INJECT_FAULTS")
    os.environ["POLYTOPE_INJECT_FAULTS"] = "crash-after-submit-commit"
    try:
        crashing = PolytopeServer("crashing", polytope_bin, tmp_path / "crashing", data_dir=data).start()
    finally:
        if saved is None:
            del os.environ["POLYTOPE_INJECT_FAULTS"]
        else:
            os.environ["POLYTOPE_INJECT_FAULTS"] = saved
    with pytest.raises(requests.ConnectionError):
        post(Api(crashing, DEMO), ECHO, "retry-me")
    crashing.process.wait(timeout=10)
    assert crashing.process.returncode == -9, "the fault killed the server after the commit"
    crashing.kill()

    restarted = PolytopeServer("restarted", polytope_bin, tmp_path / "restarted", data_dir=data).start()
    try:
        api = Api(restarted, DEMO)
        stored = api.list_ids()
        assert len(stored) == 1, "the first POST was committed before the crash"
        retry = post(api, ECHO, "retry-me")
        assert retry.status_code == 202, retry.text
        assert retry.json()["id"] == stored[0], "the retry gets the request the crash hid from the client"
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert api.poll(stored[0]).status_code == 303
        assert api.list_ids() == stored, "and no duplicate"
        alice = Api(restarted, ALICE)
        assert post(alice, ECHO, "retry-me").json()["id"] != stored[0]
    finally:
        restarted.stop()
