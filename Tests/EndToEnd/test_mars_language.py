"""The MARS request language end to end: a collection with `language: mars` normalises
what the real client sends, matches date windows, and refuses mistakes at submission with
one message naming every key and value."""

import datetime

import pytest

from conftest import DEMO, Api, PolytopeServer

MARS_CONFIG = """
telemetry:
  admin-roles: [default]
collections:
  od:
    language: mars
    datasources:
      - name: recent
        type: echo
        match: {class: od, param: [2t, msl], date: "<30d"}
        defaults: {time: 0}
      - name: archive
        type: echo
        match: {class: od, date: ">30d"}
"""


@pytest.fixture
def server(polytope_bin, tmp_path):
    server = PolytopeServer("mars", polytope_bin, tmp_path, extra_config=MARS_CONFIG).start()
    yield server
    server.stop()


def _day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).strftime("%Y%m%d")


def test_real_client_request_is_normalised(server, make_client, tmp_path):
    text = "class: OD\ndate: -2/to/-1\nparam: 2t/MSL\nstep: 0/to/12/by/6\nexpver: 1\n"
    output = tmp_path / "out.txt"
    make_client(server).retrieve("od", text, str(output))
    assert output.exists()
    listed = Api(server, DEMO).get("/telemetry/v1/requests", params={"collection": "od"}).json()["message"]
    assert len(listed) == 1 and listed[0]["datasource"] == "recent", listed
    assert listed[0]["normalised"] == (
        f"class=od, date={_day(-2)}/{_day(-1)}, param=167/151, step=0/6/12, expver=0001, time=0000"
    ), listed[0]


def test_old_dates_go_to_the_archive_datasource(server):
    api = Api(server, DEMO)
    request_id, _ = api.processed("class: od\ndate: 2001-01-01\nparam: 2t", collection="od")
    listed = api.get(f"/telemetry/v1/requests/{request_id}").json()["message"]
    assert listed["datasource"] == "archive"


def test_every_mistake_is_reported_at_submission(server, make_client, tmp_path):
    api = Api(server, DEMO)
    response = api.post("/api/v1/requests/od", json={"verb": "retrieve", "request": "class: od\ndate: 2024-13-01\ntime: 25\nparam: nosuchparam\nstep: 6x"})
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    for fragment in ["date: '2024-13-01'", "time: '25'", "param: 'nosuchparam'", "step: '6x'"]:
        assert fragment in message, message
    # The real client shows the same message.
    with pytest.raises(Exception) as raised:
        make_client(server).retrieve("od", "class: od\ndate: 2024-13-01\nparam: 2t", str(tmp_path / "never"))
    assert "2024-13-01" in str(raised.value)


def test_a_range_across_both_windows_is_refused_with_reasons(server):
    response = Api(server, DEMO).post(
        "/api/v1/requests/od", json={"verb": "retrieve", "request": f"class: od\nparam: 2t\ndate: 20000101/to/{_day(-1)}"})
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "recent: date:" in message and "archive: date:" in message, message
