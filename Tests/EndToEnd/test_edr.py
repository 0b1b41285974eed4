"""The OGC API - EDR front end to end: the real server with a `features` collection over
analytic GRIB fields (values 200 + lat/2 + lon/100 + step + level/100, made with ecCodes as in
test_features.py and archived through the archive verb). Metadata documents are validated with
edr-pydantic, answers with covjson-pydantic; every answered point and value is checked exactly.
Queries are requests: they show in /api/v1/requests."""

import json
import math
import time

import numpy as np
import pytest
import requests
from edr_pydantic.capabilities import ConformanceModel, LandingPageModel
from edr_pydantic.collections import Collection, Collections

import test_features as features
from conftest import DEMO, PolytopeServer

STEPS = features.STEPS
LEVELS = (500, 850)
COVJSON = "application/prs.coverage+json"
KM_PER_DEGREE = 6371 * math.pi / 180


def features_config(root, extra=""):
    return f"""
server:
  max-upload-size: 200M
{extra}
collections:
  features:
    language: mars
    datasources:
      - {{name: features, type: features, root: {root}, max-points: 50, max-area: 20000000}}
      - {{name: fields, type: grib-archive, root: {root}, match: {{feature: []}}}}
"""


def archive_messages(server, workdir, messages, date):
    client = __import__("polytope.api", fromlist=["Client"]).Client(
        address=server.url, insecure=True, username=DEMO[0], password=DEMO[1], quiet=True)
    upload, metadata = workdir / f"{date}.grib", workdir / f"{date}.yaml"
    upload.write_bytes(b"".join(messages))
    metadata.write_text(f"date: {date}\n")
    client.archive("features", str(metadata), str(upload), inline_metadata=False)


@pytest.fixture(scope="module")
def edr(polytope_bin, tmp_path_factory):
    """A server with 2t (steps 0, 6, 12) and t (500, 850 hPa) on a global 0.25° grid."""
    workdir = tmp_path_factory.mktemp("edr")
    server = PolytopeServer("edr", polytope_bin, workdir, extra_config=features_config(workdir / "archive")).start()
    grid, messages = None, []
    for step in STEPS:
        message, lats, lons, values = features.new_message(
            "regular_ll_sfc_grib2", {"date": 20250101, "time": 1200, "step": step, "shortName": "2t", "bitsPerValue": 24}, features.QUARTER)
        grid = grid or features.Grid(lats, lons)
        grid.fields[("2t", step, 0)] = values
        messages.append(message)
    for level in LEVELS:
        message, _, _, values = features.new_message(
            "regular_ll_pl_grib2", {"date": 20250101, "time": 1200, "step": 0, "typeOfLevel": "isobaricInhPa", "level": level,
                                    "shortName": "t", "bitsPerValue": 24}, features.QUARTER)
        grid.fields[("t", 0, level)] = values
        messages.append(message)
    archive_messages(server, workdir, messages, 20250101)
    yield server, grid
    server.stop()


def get(server, path, auth=DEMO, **params):
    return requests.get(server.url + path, params=params, auth=auth, timeout=60)


def answer(response):
    """The CoverageJSON of a 200 answer, validated."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == COVJSON
    body = response.json()
    features.validate(body)
    return body


def assert_values(grid, coverage, param, step):
    """Every value is the packed value of its grid point (as ecCodes decodes it), and analytic."""
    values = coverage["ranges"][param]["values"]
    for (lat, lon, level, _), value in zip(features.points(coverage), values, strict=True):
        level = level if param == "t" else 0
        assert value == float(grid.fields[(param, step, level)][grid.position(lat, lon)])
        assert abs(value - features.analytic(lat, lon % 360, step, level)) < 1e-3


# ---------------------------------------------------------------------------
# Metadata


def test_landing_page_and_conformance_need_no_credentials(edr):
    server, _ = edr
    landing = requests.get(server.url + "/edr", timeout=10)
    assert landing.status_code == 200
    page = LandingPageModel.model_validate_json(landing.text)
    links = {link.rel: link.href for link in page.links}
    assert links["data"] == server.url + "/edr/collections"
    assert links["conformance"] == server.url + "/edr/conformance"
    assert requests.get(links["service-desc"], timeout=10).status_code == 200
    conformance = ConformanceModel.model_validate_json(requests.get(server.url + "/edr/conformance", timeout=10).text)
    assert "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/core" in conformance.conformsTo
    assert "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/covjson" in conformance.conformsTo


def test_collections_list_only_those_with_features(edr):
    server, _ = edr
    response = get(server, "/edr/collections")
    assert response.status_code == 200, response.text
    collections = Collections.model_validate_json(response.text)
    assert [c.id for c in collections.collections] == ["features"]  # not debug (echo, dummy, ...)


def test_collection_metadata_from_the_archive_index(edr):
    server, _ = edr
    response = get(server, "/edr/collections/features")
    assert response.status_code == 200, response.text
    collection = Collection.model_validate_json(response.text)
    assert collection.output_formats == ["CoverageJSON"]
    queries = collection.data_queries
    for name in ("position", "area", "cube", "trajectory", "radius"):
        link = getattr(queries, name).link
        assert link.href == f"{server.url}/edr/collections/features/{name}"
        assert link.variables.query_type == name
    assert queries.radius.link.variables.within_units == ["km", "m", "mi", "deg"]
    parameters = collection.parameter_names.root
    assert sorted(parameters) == ["2t", "t"]
    assert parameters["2t"].observedProperty.label == "2 metre temperature"
    assert parameters["2t"].unit.symbol == "K"
    temporal = collection.extent.temporal
    assert [[d.isoformat() for d in pair] for pair in temporal.interval] == [["2025-01-01T12:00:00+00:00"] * 2]
    assert collection.extent.vertical.values == ["500", "850"]


# ---------------------------------------------------------------------------
# Queries


def test_position_is_a_timeseries_and_coords_are_longitude_first(edr):
    server, grid = edr
    body = answer(get(server, "/edr/collections/features/position", coords="MULTIPOINT((-9.1 38.9), (7.0 50.7))",
                      **{"parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0,6,12"}))
    assert body["domainType"] == "PointSeries"
    first, second = body["coverages"]
    # WKT is lon lat: (-9.1, 38.9) is Lisbon, answered by its nearest grid point (39, 351).
    assert features.points(first) == [(39.0, 351.0, 0, None)]
    assert features.points(second) == [(50.75, 7.0, 0, None)]
    for coverage in (first, second):
        assert coverage["domain"]["axes"]["t"]["values"] == ["2025-01-01T12:00:00Z", "2025-01-01T18:00:00Z", "2025-01-02T00:00:00Z"]
        lat, lon, _, _ = features.points(coverage)[0]
        expected = [float(grid.fields[("2t", s, 0)][grid.position(lat, lon)]) for s in STEPS]
        assert coverage["ranges"]["2t"]["values"] == expected


def test_position_with_z_on_pressure_levels(edr):
    server, grid = edr
    body = answer(get(server, "/edr/collections/features/position", coords="POINT(7.5 45)",
                      **{"parameter-name": "t", "datetime": "2025-01-01T12:00:00Z", "step": "0", "levtype": "pl", "z": "500,850"}))
    coverages = body["coverages"]
    assert sorted(features.points(c)[0][2] for c in coverages) == [500, 850]
    for coverage in coverages:
        assert features.points(coverage)[0][:2] == (45.0, 7.5)
        assert_values(grid, coverage, "t", 0)


def test_area_polygon(edr):
    server, grid = edr
    shape = [[40.1, 10.1], [40.1, 12.1], [41.1, 12.1], [41.1, 11.1], [42.1, 11.1], [42.1, 10.1]]  # an L, [lat, lon]
    wkt = "POLYGON((" + ", ".join(f"{lon} {lat}" for lat, lon in shape + shape[:1]) + "))"
    body = answer(get(server, "/edr/collections/features/area", coords=wkt,
                      **{"parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "6"}))
    [coverage] = body["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in features.points(coverage)}
    expected = {(i / 4, j / 4) for i in range(156, 172) for j in range(36, 52) if features.inside(shape, i / 4, j / 4)}
    assert where == expected and len(expected) == 48
    assert_values(grid, coverage, "2t", 6)


def test_cube_bbox_across_the_0_meridian(edr):
    server, grid = edr
    body = answer(get(server, "/edr/collections/features/cube", bbox="-1,-0.5,1,0.5",
                      **{"parameter-name": "2t", "datetime": "2025-01-01", "time": "1200", "step": "12"}))
    [coverage] = body["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in features.points(coverage)}
    assert where == {(i / 4, j / 4 % 360) for i in range(-2, 3) for j in range(-4, 5)}  # 0.5° tall, 2° wide: lon first
    assert_values(grid, coverage, "2t", 12)


def test_trajectory_within_a_corridor(edr):
    server, grid = edr
    body = answer(get(server, "/edr/collections/features/trajectory", coords="LINESTRING(-1 0, 1 0)",
                      within="0.3", **{"within-units": "deg", "parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0"}))
    assert body["domainType"] == "Trajectory"
    [coverage] = body["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in features.points(coverage)}
    # Round inflation of 0.3° around the equator from -1 to 1: within 0.3° of the leg or its ends.
    expected = set()
    for i in range(-2, 3):
        for j in range(-6, 7):
            lat, lon = i / 4, j / 4
            nearest_lon = min(max(lon, -1), 1)
            if math.degrees(math.acos(min(1, math.cos(math.radians(lat)) * math.cos(math.radians(lon - nearest_lon))))) <= 0.3 + 1e-9:
                expected.add((lat, lon % 360))
    assert where == expected
    assert_values(grid, coverage, "2t", 0)


def test_radius_in_kilometres(edr):
    server, grid = edr
    body = answer(get(server, "/edr/collections/features/radius", coords="POINT(10 50)", within="60",
                      **{"within-units": "km", "parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0"}))
    [coverage] = body["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in features.points(coverage)}
    lats, lons = np.meshgrid(np.arange(48, 52.01, 0.25), np.arange(8, 12.01, 0.25), indexing="ij")
    cos = math.sin(math.radians(50)) * np.sin(np.radians(lats)) + math.cos(math.radians(50)) * np.cos(np.radians(lats)) * np.cos(np.radians(lons - 10))
    distance = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    expected = {(float(a), float(b)) for a, b, d in zip(lats.ravel(), lons.ravel(), distance.ravel()) if d <= 60 / KM_PER_DEGREE}
    assert where == expected and len(expected) > 20  # centred on lat 50, lon 10, not lat 10, lon 50
    assert_values(grid, coverage, "2t", 0)


def test_the_query_is_a_request_listed_in_the_v1_api(edr):
    server, _ = edr
    response = get(server, "/edr/collections/features/position", coords="POINT(0 0)",
                   **{"parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0"})
    answer(response)
    request_id = response.headers["Location"].rsplit("/", 1)[1]
    listed = {r["id"]: r for r in get(server, "/api/v1/requests").json()["message"]}
    assert listed[request_id]["collection"] == "features"
    assert listed[request_id]["status"] == "processed"
    assert json.loads(listed[request_id]["user_request"])["feature"] == {"type": "timeseries", "time_axis": "step", "points": [[0, 0]]}


def test_api_keys_are_accepted_as_bearer_and_private_token(edr):
    server, _ = edr
    key = requests.post(server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
    params = {"coords": "POINT(0 0)", "parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0"}
    for headers in ({"Authorization": f"Bearer {key}"}, {"PRIVATE-TOKEN": key}):
        response = requests.get(server.url + "/edr/collections/features/position", params=params, headers=headers, timeout=60)
        assert answer(response)["coverages"][0]["ranges"]["2t"]["values"] == [200.0]


# ---------------------------------------------------------------------------
# Errors


def test_bad_queries_are_400_naming_every_problem(edr):
    server, _ = edr
    response = get(server, "/edr/collections/features/position", coords="POINT(10)", f="GeoJSON", **{"parameter-name": "2t"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert "coords: expected a latitude after the longitude 10, found ')'" in body["description"]
    assert "f: 'GeoJSON' is not an output format of this server (CoverageJSON)" in body["description"]

    response = get(server, "/edr/collections/features/area", coords="POINT(10 50)", **{"parameter-name": "2t"})
    assert response.status_code == 400
    assert "area queries take a POLYGON or MULTIPOLYGON, not a POINT" in response.json()["description"]

    response = get(server, "/edr/collections/features/corridor", coords="LINESTRING(0 0, 1 1)", **{"corridor-width": "5"})
    assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue", response.text
    assert "Corridor queries are not supported; a trajectory query with within=" in response.json()["description"]

    response = get(server, "/edr/collections/features/radius", coords="POINT(10 50)", within="5", **{"within-units": "furlong"})
    assert "within-units: unknown unit 'furlong' (expected one of km, m, mi, deg)" in response.json()["description"]

    # The features datasource's own checks, through the same submission path.
    response = get(server, "/edr/collections/features/position", coords="POINT(10 95)",
                   **{"parameter-name": "2t", "datetime": "2025-01-01T12:00:00Z", "step": "0"})
    assert response.status_code == 400
    assert "latitude" in response.json()["description"] and "95" in response.json()["description"]
    # Only the feature datasource's reasons: the grib-archive beside it refuses any request with
    # a feature, which the EDR user never wrote.
    assert "must not be given" not in response.json()["description"], response.text

    response = get(server, "/edr/collections/features/cube", bbox="-1,-1,1,1",
                   **{"parameter-name": "2t", "datetime": "2031-01-01T12:00:00Z", "step": "0"})
    assert response.status_code == 400
    assert "20310101" in response.json()["description"]


def test_unauthenticated_is_401(edr):
    server, _ = edr
    for path in ("/edr/collections", "/edr/collections/features", "/edr/collections/features/position?coords=POINT(0%200)"):
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 401
        assert response.json()["code"] == "NotAuthenticated"
        assert "WWW-Authenticate" in response.headers
    response = get(server, "/edr/collections", auth=("demo", "wrong"))
    assert response.status_code == 401


def test_a_collection_without_features_is_404(edr):
    server, _ = edr
    for path in ("/edr/collections/debug", "/edr/collections/debug/position", "/edr/collections/nope/cube"):
        response = get(server, path, coords="POINT(0 0)", bbox="0,0,1,1")
        assert response.status_code == 404, path
        body = response.json()
        assert body["code"] == "NotFound"
        assert "collections with features: features" in body["description"]


# ---------------------------------------------------------------------------
# Asynchronous answers


def test_without_waiting_the_answer_is_202_and_the_request_is_polled(polytope_bin, tmp_path_factory):
    """With server.edr-wait 0 every query answers 202 at once with the v1 request to poll."""
    workdir = tmp_path_factory.mktemp("edr-async")
    config = features_config(workdir / "archive").replace("server:\n", "server:\n  edr-wait: 0s\n")
    server = PolytopeServer("edr-async", polytope_bin, workdir, extra_config=config).start()
    try:
        # The sample's limited area: 60..0 N, 0..30 E every 2°.
        message, lats, lons, values = features.new_message(
            "regular_ll_sfc_grib2", {"date": 20250103, "time": 1200, "step": 0, "shortName": "2t", "bitsPerValue": 16})
        archive_messages(server, workdir, [message], 20250103)
        response = get(server, "/edr/collections/features/position", coords="POINT(10.4 40.6)",
                       **{"parameter-name": "2t", "datetime": "2025-01-03T12:00:00Z", "step": "0"})
        assert response.status_code == 202, response.text
        location = response.headers["Location"]
        assert location.startswith(server.url + "/api/v1/requests/")
        assert response.json()["status"] in ("waiting", "queued", "processing", "processed")
        deadline = time.monotonic() + 20
        while True:
            poll = requests.get(location, auth=DEMO, allow_redirects=False, timeout=10)
            if poll.status_code == 303 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert poll.status_code == 303
        download = requests.get(poll.headers["Location"], auth=DEMO, timeout=10)
        assert download.headers["Content-Type"] == COVJSON
        body = download.json()
        features.validate(body)
        [coverage] = body["coverages"]
        assert features.points(coverage) == [(40.0, 10.0, 0, None)]
        index = next(i for i, (a, b) in enumerate(zip(lats, lons)) if (a, b) == (40.0, 10.0))
        assert coverage["ranges"]["2t"]["values"] == [float(values[index])]
    finally:
        server.stop()
