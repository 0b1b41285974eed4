"""Feature extraction end to end with the real client: GRIB fields whose values are analytic
functions of latitude, longitude, step and level (made here with ecCodes, archived through the
archive verb) on a global regular 0.25° grid, an octahedral O32 grid (CCSDS-packed, so decoded
whole) and a limited-area grid; `polytope retrieve` of feature requests writes CoverageJSON that
covjson-pydantic validates, covjsonkit and earthkit-data read back, whose points are the
expected grid points and whose values are exactly the fields' packed values."""

import json
import math

import earthkit.data as earthkit_data
import eccodes
import numpy as np
import pytest
from covjson_pydantic.coverage import CoverageCollection
from covjsonkit.api import Covjsonkit
from polytope.api.helpers import HTTPResponseError

from conftest import DEMO, PolytopeServer

SAMPLES = "/usr/share/eccodes/samples"
STEPS = (0, 6, 12)
LEVELS = (500, 850, 1000)


def analytic(lats, lons, step=0, level=0):
    return 200 + lats / 2 + lons / 100 + step + level / 100


def new_message(sample, settings, grid=None):
    """A message from an ecCodes sample with `settings`, on `grid` (keys set first), with
    analytic values; returns (bytes, latitudes, longitudes, decoded values)."""
    with open(f"{SAMPLES}/{sample}.tmpl", "rb") as template:
        handle = eccodes.codes_grib_new_from_file(template)
    try:
        for key, value in settings.items():
            eccodes.codes_set(handle, key, value)
        for key, value in (grid or {}).items():  # after packing changes, which keep the old point count
            if isinstance(value, list):
                eccodes.codes_set_array(handle, key, value)
            else:
                eccodes.codes_set(handle, key, value)
        lats = eccodes.codes_get_array(handle, "latitudes")
        lons = eccodes.codes_get_array(handle, "longitudes")
        level = settings.get("level", 0) if settings.get("typeOfLevel") == "isobaricInhPa" else 0
        eccodes.codes_set_values(handle, analytic(lats, lons, settings.get("step", 0), level))
        message = eccodes.codes_get_message(handle)
    finally:
        eccodes.codes_release(handle)
    decoded = earthkit_data.from_source("memory", message).to_fieldlist()[0].to_numpy(flatten=True)
    return message, lats, lons, decoded


QUARTER = {"Ni": 1440, "Nj": 721, "numberOfDataPoints": 1440 * 721, "latitudeOfFirstGridPointInDegrees": 90,
           "longitudeOfFirstGridPointInDegrees": 0, "latitudeOfLastGridPointInDegrees": -90,
           "longitudeOfLastGridPointInDegrees": 359.75, "iDirectionIncrementInDegrees": 0.25, "jDirectionIncrementInDegrees": 0.25}
_PL = [20 + 4 * i for i in range(32)]
O32 = {"pl": _PL + _PL[::-1], "numberOfDataPoints": 2 * sum(_PL), "longitudeOfLastGridPointInDegrees": 360 - 360 / 144}


class Grid:
    """A grid's points and, per field, the values ecCodes decodes, to look up answers."""

    def __init__(self, lats, lons):
        self.lats, self.lons = lats, lons
        self.fields = {}
        self.index = {(round(lat, 6), round(lon % 360, 6)): i for i, (lat, lon) in enumerate(zip(lats, lons))} if len(lats) < 100_000 else None

    def position(self, lat, lon):
        if self.index is None:  # the regular 0.25° grid
            return int(round((90 - lat) / 0.25)) * 1440 + int(round((lon % 360) / 0.25)) % 1440
        return self.index[(round(lat, 6), round(lon % 360, 6))]

    def nearest(self, lat, lon):
        """The nearest grid point by great-circle distance (first stored on ties)."""
        p1, p2 = np.radians(lat), np.radians(self.lats)
        dl = np.radians(self.lons - lon)
        cos = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
        i = int(np.argmax(np.round(cos, 15)))
        return self.lats[i], self.lons[i]


@pytest.fixture(scope="module")
def archive(polytope_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("features")
    root = workdir / "archive"
    config = f"""
server:
  max-upload-size: 200M
collections:
  features:
    language: mars
    datasources:
      - {{name: features, type: features, root: {root}, max-points: 50, max-area: 20000000}}
      - {{name: fields, type: grib-archive, root: {root}, match: {{feature: []}}}}
"""
    server = PolytopeServer("features", polytope_bin, workdir, extra_config=config).start()
    client = __import__("polytope.api", fromlist=["Client"]).Client(
        address=server.url, insecure=True, username=DEMO[0], password=DEMO[1], quiet=True)
    grids = {}
    uploads = {}
    for step in STEPS:  # 2t on 0.25°, 2025-01-01
        message, lats, lons, values = new_message(
            "regular_ll_sfc_grib2", {"date": 20250101, "time": 1200, "step": step, "shortName": "2t", "bitsPerValue": 24}, QUARTER)
        grids.setdefault("quarter", Grid(lats, lons)).fields[("2t", step, 0)] = values
        uploads.setdefault(20250101, []).append(message)
    for level in LEVELS:  # t on pressure levels, 0.25°
        message, _, _, values = new_message(
            "regular_ll_pl_grib2", {"date": 20250101, "time": 1200, "step": 0, "typeOfLevel": "isobaricInhPa", "level": level,
                                    "shortName": "t", "bitsPerValue": 24}, QUARTER)
        grids["quarter"].fields[("t", 0, level)] = values
        uploads[20250101].append(message)
    for step in (0, 6):  # 2t on O32, CCSDS
        message, lats, lons, values = new_message(
            "reduced_gg_pl_32_grib2", {"date": 20250102, "time": 1200, "step": step, "shortName": "2t", "bitsPerValue": 24,
                                       "packingType": "grid_ccsds"}, O32)
        grids.setdefault("o32", Grid(lats, lons)).fields[("2t", step, 0)] = values
        uploads.setdefault(20250102, []).append(message)
    message, lats, lons, values = new_message(  # the sample's limited area: 60..0 N, 0..30 E every 2°
        "regular_ll_sfc_grib2", {"date": 20250103, "time": 1200, "step": 0, "shortName": "2t", "bitsPerValue": 16})
    grids["area"] = Grid(lats, lons)
    grids["area"].fields[("2t", 0, 0)] = values
    uploads[20250103] = [message]
    message, lats, lons, values = new_message(  # msl on the same limited area shifted 1° east: 1..31 E
        "regular_ll_sfc_grib2", {"date": 20250103, "time": 1200, "step": 0, "shortName": "msl", "bitsPerValue": 16},
        {"longitudeOfFirstGridPointInDegrees": 1, "longitudeOfLastGridPointInDegrees": 31})
    grids["shifted"] = Grid(lats, lons)
    grids["shifted"].fields[("msl", 0, 0)] = values
    uploads[20250103].append(message)
    for date, messages in uploads.items():
        upload, metadata = workdir / f"{date}.grib", workdir / f"{date}.yaml"
        upload.write_bytes(b"".join(messages))
        metadata.write_text(f"date: {date}\n")
        client.archive("features", str(metadata), str(upload), inline_metadata=False)
    yield server, grids
    server.stop()


def retrieve(archive, make_client, tmp_path, request, read_back=True):
    """The answer to `request` (a dict) through the real client, validated and read back."""
    server, _ = archive
    output = tmp_path / "answer.covjson"
    make_client(server).retrieve("features", json.dumps(request), str(output))
    answer = json.loads(output.read_text())
    validate(answer)
    if read_back:
        Covjsonkit().decode(answer).to_xarray()
        assert earthkit_data.from_source("file", str(output)).to_xarray() is not None
    return answer


def validate(answer):
    """Validates with covjson-pydantic. covjsonkit (and so this server, which writes what it
    writes) names point axes latitude/longitude/levelist, which covjson-pydantic 0.8.0's
    `Axes` forbids (it knows x, y, z, t, composite): those are checked as y, x, z."""
    renamed = json.loads(json.dumps(answer))
    for coverage in renamed["coverages"]:
        axes = coverage["domain"]["axes"]
        for name, standard in (("latitude", "y"), ("longitude", "x"), ("levelist", "z")):
            if name in axes:
                axes[standard] = axes.pop(name)
    CoverageCollection.model_validate_json(json.dumps(renamed))


def points(coverage):
    """[(lat, lon, level, step or None)] of a coverage, in range order."""
    axes = coverage["domain"]["axes"]
    if "composite" in axes:
        names = axes["composite"]["coordinates"]
        tuples = axes["composite"]["values"]
        if names[0] == "t":
            return [(lat, lon, level, step) for step, lat, lon, level in tuples]
        return [(lat, lon, level, None) for lat, lon, level in tuples]
    lat, lon = axes["latitude"]["values"][0], axes["longitude"]["values"][0]
    return [(lat, lon, level, None) for level in axes.get("levelist", {"values": [0]})["values"]]


def assert_packed_values(grid, coverage, param, step=None):
    """Every value of `coverage` is the packed value of its grid point (and the analytic one)."""
    metadata = coverage["mars:metadata"]
    values = coverage["ranges"][param]["values"]
    where = points(coverage)
    if len(where) == 1 and len(values) > 1:  # a timeseries: one point, one value per step
        lat, lon, level, _ = where[0]
        expected = [grid.fields[(param, s, level)][grid.position(lat, lon)] for s in STEPS[: len(values)]]
        assert values == [float(v) for v in expected]
        return
    for (lat, lon, level, point_step), value in zip(where, values, strict=True):
        s = point_step if point_step is not None else (step if step is not None else metadata.get("step", 0))
        packed = grid.fields[(param, s, level if param == "t" else 0)][grid.position(lat, lon)]
        assert value == float(packed)
        assert abs(value - analytic(lat, lon % 360, s, level if param == "t" else 0)) < 1e-3


def test_timeseries_at_a_point_near_longitude_0_360(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "format": "covjson",
        "feature": {"type": "timeseries", "points": [[10.1, 359.9]], "time_axis": "step", "range": {"start": 0, "end": 12, "interval": 6}}})
    assert answer["domainType"] == "PointSeries"
    [coverage] = answer["coverages"]
    assert points(coverage) == [(10.0, 0.0, 0, None)]  # across 0/360, not 359.75
    assert len(coverage["domain"]["axes"]["t"]["values"]) == 3
    assert_packed_values(grid, coverage, "2t")


def test_position_near_a_pole_and_several_nearby_points(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": "0",
        "feature": {"type": "position", "points": [[89.95, 45.1], [50.7, 7.0], [50.725, 7.108], [50.7, 7.0]]}})
    coverages = answer["coverages"]
    assert [points(c)[0][:2] for c in coverages] == [(90.0, 0.0), (50.75, 7.0), (50.75, 7.0), (50.75, 7.0)]  # ecmwf/polytope#553
    for coverage in coverages:
        assert_packed_values(grid, coverage, "2t", step=0)


def test_vertical_profile(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "t", "step": "0", "levtype": "pl", "levelist": ["1000", "850", "500"],
        "feature": {"type": "verticalprofile", "points": [[45.05, 7.01]]}})
    assert answer["domainType"] == "VerticalProfile"
    [coverage] = answer["coverages"]
    assert sorted(p[2] for p in points(coverage)) == [500, 850, 1000]
    assert_packed_values(grid, coverage, "t", step=0)


def test_bounding_box_across_the_0_meridian(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": ["0", "6"],
        "feature": {"type": "boundingbox", "points": [[-1, -1], [1, 1]]}})
    assert answer["domainType"] == "MultiPoint"
    assert len(answer["coverages"]) == 2
    for coverage, step in zip(answer["coverages"], (0, 6)):
        where = {(lat, lon) for lat, lon, _, _ in points(coverage)}
        assert where == {(i / 4, j / 4 % 360) for i in range(-4, 5) for j in range(-4, 5)}
        assert_packed_values(grid, coverage, "2t", step=step)


def inside(polygon, lat, lon):
    """Even-odd rule (no grid point lies on these polygons' edges)."""
    result = False
    for (a_lat, a_lon), (b_lat, b_lon) in zip(polygon, polygon[1:] + polygon[:1]):
        if (a_lat > lat) != (b_lat > lat) and lon < a_lon + (lat - a_lat) * (b_lon - a_lon) / (b_lat - a_lat):
            result = not result
    return result


def test_concave_polygon(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    shape = [[40.1, 10.1], [40.1, 12.1], [41.1, 12.1], [41.1, 11.1], [42.1, 11.1], [42.1, 10.1]]  # an L
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": "0", "feature": {"type": "polygon", "shape": shape}})
    [coverage] = answer["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in points(coverage)}
    expected = {(i / 4, j / 4) for i in range(156, 172) for j in range(36, 52) if inside(shape, i / 4, j / 4)}
    assert where == expected and len(expected) == 4 * 8 + 4 * 4
    assert_packed_values(grid, coverage, "2t", step=0)


def test_circle_and_frame(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": "0",
        "feature": {"type": "circle", "center": [[50, 10]], "radius": 0.6}})
    [coverage] = answer["coverages"]
    where = {(lat, lon) for lat, lon, _, _ in points(coverage)}
    lats, lons = np.meshgrid(np.arange(48, 52.01, 0.25), np.arange(8, 12.01, 0.25), indexing="ij")
    cos = math.sin(math.radians(50)) * np.sin(np.radians(lats)) + math.cos(math.radians(50)) * np.cos(np.radians(lats)) * np.cos(np.radians(lons - 10))
    distance = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    assert where == {(float(a), float(b)) for a, b, d in zip(lats.ravel(), lons.ravel(), distance.ravel()) if d <= 0.6}
    assert_packed_values(grid, coverage, "2t", step=0)

    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": "0",
        "feature": {"type": "frame", "outer_box": [[0, 0], [2, 2]], "inner_box": [[0.5, 0.5], [1.5, 1.5]]}}, read_back=False)
    [coverage] = answer["coverages"]
    where = [(lat, lon) for lat, lon, _, _ in points(coverage)]
    assert len(where) == len(set(where))
    assert set(where) == {(i / 4, j / 4) for i in range(9) for j in range(9) if not (2 < i < 6 and 2 < j < 6)}
    assert_packed_values(grid, coverage, "2t", step=0)


def test_trajectory(archive, make_client, tmp_path):
    grid = archive[1]["quarter"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250101", "time": "1200", "param": "2t", "step": "6",
        "feature": {"type": "trajectory", "axes": ["latitude", "longitude"], "points": [[0, -1], [0, 1], [1, 2]],
                    "inflation": 0.3, "inflate": "box"}})
    assert answer["domainType"] == "Trajectory"
    [coverage] = answer["coverages"]
    where = points(coverage)
    assert len(where) > 10
    for lat, lon, _, _ in where:  # within the box swept along the path's legs
        lon = lon - 360 if lon > 180 else lon
        assert (abs(lat) <= 0.3 + 1e-9 and -1.3 <= lon <= 1.3) or (-0.3 <= lat <= 1.3 and 0.7 <= lon <= 2.3)
    assert_packed_values(grid, coverage, "2t", step=6)


def test_octahedral_grid_decoded_whole(archive, make_client, tmp_path):
    grid = archive[1]["o32"]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250102", "time": "1200", "param": "2t",
        "feature": {"type": "timeseries", "points": [[51.5, -0.1], [-89, 180]], "time_axis": "step", "range": {"start": 0, "end": 6}}})
    assert len(answer["coverages"]) == 2
    for coverage, (lat, lon) in zip(answer["coverages"], [(51.5, -0.1), (-89, 180)]):
        near_lat, near_lon = grid.nearest(lat, lon)
        got_lat, got_lon = points(coverage)[0][:2]
        assert abs(got_lat - near_lat) < 1e-9 and abs(got_lon - near_lon) < 1e-9
        assert_packed_values(grid, coverage, "2t")

    shape = [[40.3, 0.37], [40.3, 30.37], [59.7, 30.37], [59.7, 20.37], [50.3, 20.37], [50.3, 0.37]]  # no point on an edge
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250102", "time": "1200", "param": "2t", "step": "6", "feature": {"type": "polygon", "shape": shape}})
    [coverage] = answer["coverages"]
    where = {(round(lat, 6), round(lon, 6)) for lat, lon, _, _ in points(coverage)}
    expected = {(round(a, 6), round(b, 6)) for a, b in zip(grid.lats, grid.lons) if inside(shape, a, b)}
    assert where == expected
    assert_packed_values(grid, coverage, "2t", step=6)


def test_position_across_a_resolution_change_gives_each_date_its_grid_point(archive, make_client, tmp_path):
    grids = archive[1]
    answer = retrieve(archive, make_client, tmp_path, {
        "date": ["20250101", "20250102"], "time": "1200", "param": "2t", "step": "0",
        "feature": {"type": "position", "points": [[25.3, 10.2]]}}, read_back=False)  # covjsonkit's xarray wants one point per date
    quarter, o32 = answer["coverages"]
    assert points(quarter)[0][:2] == (25.25, 10.25)
    assert_packed_values(grids["quarter"], quarter, "2t", step=0)
    near_lat, near_lon = grids["o32"].nearest(25.3, 10.2)
    lat, lon = points(o32)[0][:2]
    assert abs(lat - near_lat) < 1e-9 and abs(lon - near_lon) < 1e-9 and abs(lat - 25.25) > 0.1
    assert_packed_values(grids["o32"], o32, "2t", step=0)


def test_params_on_different_grids(archive, make_client, tmp_path):
    server, grids = archive
    # A point: one coverage per grid point read, each labelled with its own coordinates.
    answer = retrieve(archive, make_client, tmp_path, {
        "date": "20250103", "time": "1200", "param": ["2t", "msl"], "step": "0",
        "feature": {"type": "timeseries", "points": [[20.2, 10.2]], "time_axis": "step"}}, read_back=False)
    temperature, pressure = answer["coverages"]
    assert points(temperature)[0][:2] == (20.0, 10.0) and list(temperature["ranges"]) == ["2t"]
    assert points(pressure)[0][:2] == (20.0, 11.0) and list(pressure["ranges"]) == ["msl"]
    assert_packed_values(grids["area"], temperature, "2t")
    assert_packed_values(grids["shifted"], pressure, "msl", step=0)
    # A box: as many points on each grid, at different places: refused, not mislabelled.
    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("features", json.dumps({
            "date": "20250103", "time": "1200", "param": ["2t", "msl"], "step": "0",
            "feature": {"type": "boundingbox", "points": [[20, 10], [22, 14]]}}), str(tmp_path / "never.json"))
    assert caught.value.response.status_code == 400
    message = str(caught.value)
    assert "parameters of one coverage lie on different grids" in message and "request these parameters separately" in message
    assert "from [60, 0]" in message and "from [60, 1]" in message
    assert not (tmp_path / "never.json").exists()


def test_outside_a_limited_area_grid_is_a_clear_400(archive, make_client, tmp_path):
    server, _ = archive
    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("features", json.dumps({
            "date": "20250103", "param": "2t", "step": "0",
            "feature": {"type": "position", "points": [[70, 10], [30, 10]]}}), str(tmp_path / "never.json"))
    assert caught.value.response.status_code == 400
    assert "point [70, 10] is outside the grid" in str(caught.value)
    assert not (tmp_path / "never.json").exists()


def test_every_problem_of_a_bad_request_in_one_400(archive, make_client, tmp_path):
    server, _ = archive
    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("features", json.dumps({
            "date": "20250101", "param": "2t", "step": ["0", "6"],
            "feature": {"type": "timeseries", "pionts": [[1, 2]], "time_axis": "step", "range": {"start": 0, "end": 6}}}),
            str(tmp_path / "never.json"))
    assert caught.value.response.status_code == 400
    message = str(caught.value)
    assert "pionts" in message and "points" in message
    assert "step" in message and "range" in message  # both a range and a step list
    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("features", json.dumps({
            "date": "20250101", "param": "2t", "step": "0", "feature": {"type": "isochrone", "points": [[1, 2]]}}),
            str(tmp_path / "never.json"))
    assert "unknown feature type 'isochrone'" in str(caught.value)
    with pytest.raises(HTTPResponseError) as caught:
        make_client(server).retrieve("features", json.dumps({
            "date": "20250101", "param": "2t", "step": "0",
            "feature": {"type": "polygon", "shape": [[0, 0], [10, 10], [0, 10], [10, 0]]}}), str(tmp_path / "never.json"))
    assert "intersect" in str(caught.value)


def test_polytope_retrieve_command_writes_the_coveragejson(archive, run_cli, tmp_path):
    server, grids = archive
    request_file = tmp_path / "timeseries.yaml"
    request_file.write_text(
        "date: 20250101\ntime: 1200\nparam: 2t\nformat: covjson\n"
        "feature:\n  type: timeseries\n  points: [[-33.9, 18.4]]\n  time_axis: step\n  range: {start: 0, end: 12, interval: 6}\n")
    output = tmp_path / "answer.covjson"
    done = run_cli(server, "retrieve", "features", str(request_file), str(output))
    assert done.returncode == 0, done.stderr
    answer = json.loads(output.read_text())
    validate(answer)
    [coverage] = answer["coverages"]
    assert points(coverage) == [(-34.0, 18.5, 0, None)]
    assert_packed_values(grids["quarter"], coverage, "2t")
