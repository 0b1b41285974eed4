"""The store under stress, end to end: concurrent uploads to one archive request keep the
accepted data (each upload stages under its own key), a full disk under the SQLite store
answers 503 with Retry-After and makes /telemetry/v1/ready say so until space is freed
(without a restart), lists are paged, and telemetry names collections only to callers
allowed to see them."""

import errno
import hashlib
import os
import subprocess
import threading
import time

import pytest

from conftest import ALICE, DEMO, Api, PolytopeServer
from gribfiles import make_fields

TRIALS = 12


@pytest.fixture
def archive_server(polytope_bin, tmp_path):
    config = f"""
collections:
  archive:
    language: mars
    datasources:
      - {{name: fields, type: grib-archive, root: {tmp_path / 'archive'}, missing: partial}}
"""
    server = PolytopeServer("store-archive", polytope_bin, tmp_path, extra_config=config).start()
    yield server
    server.stop()


def _upload_location(api, date):
    response = api.post("/api/v1/requests/archive", json={"verb": "archive", "request": {"date": date}, "url": ""})
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def _race(api, location, bodies):
    """POSTs each (data, checksum) to `location` at the same moment; returns the responses in order."""
    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def post(index, data, checksum):
        session = Api(api.server, DEMO)  # a connection of its own
        barrier.wait()
        responses[index] = session.post(location, data=data, headers={"Content-Type": "application/x-grib", "X-Checksum": checksum})

    threads = [threading.Thread(target=post, args=(index, data, checksum)) for index, (data, checksum) in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def _archived(api, date):
    """The bytes the archive returns for 2t and msl at step 0 on `date` (what is there of them)."""
    request_id, response = api.processed(f"date: {date}\ntime: 12\nparam: 2t/msl\nstep: 0", collection="archive")
    return api.get(response.headers["Location"]).content


def test_concurrent_uploads_keep_the_accepted_data(archive_server, tmp_path):
    api = Api(archive_server, DEMO)
    for trial in range(TRIALS):
        date = 20250101 + trial
        directory = tmp_path / f"trial-{trial}"
        directory.mkdir()
        fields = make_fields(directory, date=date)
        first, second = fields[("2t", 0)], fields[("msl", 0)]
        location = _upload_location(api, date)
        responses = _race(api, location, [(first, hashlib.md5(first).hexdigest()), (second, hashlib.md5(second).hexdigest())])
        codes = sorted(response.status_code for response in responses)
        assert codes == [202, 409], f"trial {trial}: {[(r.status_code, r.text) for r in responses]}"
        winner = first if responses[0].status_code == 202 else second
        done = api.poll(location.rsplit("/", 1)[1])
        assert done.status_code == 200 and done.json()["status"] == "processed", f"trial {trial}: {done.text}"
        assert _archived(api, date) == winner, f"trial {trial}: the archive holds other data than the accepted upload"


def test_an_upload_with_a_wrong_checksum_does_not_spoil_a_concurrent_good_one(archive_server, tmp_path):
    api = Api(archive_server, DEMO)
    for trial in range(TRIALS):
        date = 20250101 + trial
        directory = tmp_path / f"trial-{trial}"
        directory.mkdir()
        data = make_fields(directory, date=date)[("2t", 0)]
        location = _upload_location(api, date)
        good, bad = _race(api, location, [(data, hashlib.md5(data).hexdigest()), (data, "0" * 32)])
        assert good.status_code == 202, f"trial {trial}: {good.status_code} {good.text}"
        assert bad.status_code in (400, 409), f"trial {trial}: {bad.status_code} {bad.text}"
        done = api.poll(location.rsplit("/", 1)[1])
        assert done.status_code == 200 and done.json() == {"status": "processed", "message": "Archived 1 field."}, f"trial {trial}: {done.text}"
        assert _archived(api, date) == data
    # Nothing is left in staging but what requests reference (results of the retrievals).
    staged = sorted(os.listdir(archive_server.data_dir / "staging"))
    assert not [name for name in staged if ".upload-" in name], staged


# ---------------------------------------------------------------------------
# A full disk under the SQLite store.


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs, unmounted afterwards; the test is skipped where mounting is not possible."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


def _fill(directory):
    """Writes a file until the file system is full; returns its path."""
    path = directory / "filler"
    with open(path, "wb", buffering=0) as handle:
        chunk = b"\0" * 65536
        try:
            while True:
                handle.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    with open(path, "ab", buffering=0) as handle:  # the last few bytes too
        try:
            while True:
                handle.write(b"\0" * 512)
        except OSError:
            pass
    return path


def test_a_full_store_disk_answers_503_and_recovers_without_a_restart(polytope_bin, tmp_path, small_disk):
    config = f"""
store:
  type: sqlite
  path: {small_disk / 'polytope.sqlite'}
"""
    (tmp_path / "server").mkdir()
    server = PolytopeServer("full-disk", polytope_bin, tmp_path / "server", extra_config=config)
    server.start()
    try:
        api = Api(server, DEMO)
        assert api.get("/telemetry/v1/ready").status_code == 200
        api.processed("datasource: echo")
        filler = _fill(small_disk)

        refused = None
        for attempt in range(200):  # the first inserts may still fit in the write-ahead log
            response = api.post("/api/v1/requests/debug", json={"verb": "retrieve", "request": f"datasource: echo\nn: {attempt}\npad: {'x' * 4000}"})
            if response.status_code != 202:
                refused = response
                break
        assert refused is not None, "the store never ran out of space"
        assert refused.status_code == 503, refused.text
        assert refused.json() == {"message": "The request store's disk is full; please retry later."}
        assert refused.headers.get("Retry-After") == "30"
        ready = api.get("/telemetry/v1/ready")
        assert ready.status_code == 503, ready.text
        assert ready.json()["request-store"] == "disk full" and ready.json()["status"] == "not ready", ready.text
        assert "disk is full" in ready.json()["message"]
        server.assert_alive()

        filler.unlink()
        ready = api.get("/telemetry/v1/ready")
        assert ready.status_code == 200 and ready.json()["request-store"] == "ok", ready.text
        api.processed("datasource: echo\nafter: recovery")
    finally:
        server.stop()


# ---------------------------------------------------------------------------
# Lists and telemetry over the wire.


def test_lists_page_with_limit_and_after_and_the_client_reads_them_whole(idle_queue, make_client):
    api = Api(idle_queue, DEMO)
    submitted = [api.submit(f"datasource: echo\nn: {index}") for index in range(7)]
    pages, after = [], None
    while True:
        response = api.get("/api/v1/requests" + (f"?limit=3&after={after}" if after else "?limit=3"))
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([entry["id"] for entry in body["message"]])
        after = body.get("next")
        if after is None:
            break
    assert pages == [submitted[0:3], submitted[3:6], submitted[6:7]]
    whole = api.get("/api/v1/requests").json()
    assert list(whole) == ["message"] and [entry["id"] for entry in whole["message"]] == submitted
    assert make_client(idle_queue).list_requests() == submitted


def test_telemetry_names_collections_only_to_users_allowed_to_see_them(server):
    api = Api(server, DEMO)
    api.processed("datasource: echo")
    anonymous = Api(server, None)
    summary = anonymous.get("/telemetry/v1/summary").json()
    assert summary["requestsByCollection"] == {} and summary["requestsByStatus"].get("processed", 0) >= 1
    metrics = anonymous.get("/telemetry/v1/metrics").text
    assert 'collection="debug"' not in metrics and 'collection="(hidden)"' in metrics
    assert "debug" in Api(server, ALICE).get("/telemetry/v1/summary").json()["requestsByCollection"]
    assert 'collection="debug"' in Api(server, ALICE).get("/telemetry/v1/metrics").text


# ---------------------------------------------------------------------------
# A result bigger than the staging disk.


def test_a_result_bigger_than_staging_fails_with_sizes_and_others_go_on(polytope_bin, tmp_path, small_disk):
    """The request is tried broker.max-attempts times and fails naming the space it needed and
    the space free; the worker pool never pauses, so small requests run meanwhile."""
    config = f"""
staging:
  type: filesystem
  path: {small_disk}
"""
    (tmp_path / "server").mkdir()
    server = PolytopeServer("full-staging", polytope_bin, tmp_path / "server", extra_config=config).start()
    try:
        api = Api(server, DEMO)
        started = time.monotonic()
        big = api.submit(f"datasource: dummy\nsize: {16 << 20}")
        for n in range(5):
            api.processed(f"datasource: echo\nsmall: {n}")
        answer = api.poll(big)
        assert answer.status_code == 400, answer.text
        message = answer.json()["message"]
        assert "The result does not fit in the staging area: the space ran out after" in message, message
        assert "MiB free now" in message or "KiB free now" in message or " B free now" in message, message
        assert "It was tried 3 times" in message, message
        assert message.count("queued again") == 2, message
        assert time.monotonic() - started < 15, "no pause between attempts or for other requests"
        left = [path.name for path in small_disk.iterdir() if path.name.startswith(big) or path.stat().st_size > 4096]
        assert not left, "nothing of the big result is left behind"
        api.processed("datasource: echo\nafter: yes")
    finally:
        server.stop()
