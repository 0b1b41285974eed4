"""ECMWF's earthkit-data reads from this server as it reads from Polytope: it asks
polytope-client for a pointer and downloads the pointer's location itself, without
credentials, so the location must be a signed capability link. Both of its modes are used
(stream=True reads the HTTP stream, stream=False downloads to a file first), and the values
of the fields it decodes are those archived."""

import re

import earthkit.data as earthkit_data
import eccodes
import numpy as np
import polytope.api
import pytest
import requests

from conftest import DEMO, PolytopeServer

SAMPLE = "/usr/share/eccodes/samples/regular_ll_sfc_grib2.tmpl"


def analytic_fields():
    """Two GRIB messages (2t at steps 0 and 6) whose values are 200 + lat/10 + lon/100 + step."""
    messages = {}
    for step in (0, 6):
        with open(SAMPLE, "rb") as sample:
            handle = eccodes.codes_grib_new_from_file(sample)
        try:
            for key, value in (("date", 20250101), ("time", 1200), ("step", step), ("shortName", "2t"), ("bitsPerValue", 16)):
                eccodes.codes_set(handle, key, value)
            lats = eccodes.codes_get_array(handle, "latitudes")
            lons = eccodes.codes_get_array(handle, "longitudes")
            eccodes.codes_set_values(handle, 200 + lats / 10 + lons / 100 + step)
            messages[step] = eccodes.codes_get_message(handle)
        finally:
            eccodes.codes_release(handle)
    return messages


@pytest.fixture(scope="module")
def archive(polytope_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("earthkit")
    config = f"""
collections:
  archive:
    language: mars
    datasources:
      - {{name: fields, type: grib-archive, root: {workdir / 'archive'}}}
"""
    server = PolytopeServer("earthkit", polytope_bin, workdir, extra_config=config).start()
    fields = analytic_fields()
    upload = workdir / "upload.grib"
    upload.write_bytes(fields[0] + fields[6])
    metadata = workdir / "metadata.yaml"
    metadata.write_text("date: 20250101\ntime: 12\nparam: 2t\nstep: [0, 6]\n")
    polytope.api.Client(address=server.url, insecure=True, username=DEMO[0], password=DEMO[1], quiet=True).archive(
        "archive", str(metadata), str(upload), inline_metadata=False
    )
    key = requests.post(server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
    yield server, key, fields
    server.stop()


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "download"])
def test_earthkit_data_retrieves_the_archived_fields(archive, stream, tmp_path):
    server, key, fields = archive
    earthkit_data.config.set("cache-policy", "temporary")
    request = {"date": "20250101", "time": "1200", "param": "2t", "step": ["0", "6"]}
    source = earthkit_data.from_source(
        "polytope", "archive", request, stream=stream, address=server.url, insecure=True,
        user_email="demo@example.int", user_key=key, quiet=True,
    )
    seen = []
    for field in iter(source.to_fieldlist()):  # a stream is read once, field by field
        step = field.metadata("step")
        values = field.to_numpy(flatten=True)
        reference = earthkit_data.from_source("memory", fields[step]).to_fieldlist()[0]
        assert np.array_equal(values, reference.to_numpy(flatten=True))
        lats, lons = field.geography.latlons()
        assert np.allclose(values, 200 + lats.ravel() / 10 + lons.ravel() / 100 + step, atol=0.01)
        seen.append(step)
    assert seen == [0, 6]


def test_a_pointer_location_needs_no_credentials_and_is_bound_to_its_request(archive, make_client, tmp_path):
    server, _, _ = archive
    client = make_client(server)
    pointer = client.retrieve("archive", "date: 20250101\ntime: 1200\nparam: 2t\nstep: 6\n", pointer=True, asynchronous=False)[0]
    location = pointer["location"]
    assert "signature=" in location and "expires=" in location
    answer = requests.get(location, timeout=10)
    assert answer.status_code == 200 and answer.content.startswith(b"GRIB")
    altered = location.replace("signature=", "signature=A")
    assert requests.get(altered, timeout=10).status_code == 403
    for expires in ("abc", "99999999999999999999999"):  # not a time: a bad link too, not a missing one
        assert requests.get(re.sub(r"expires=[0-9]+", f"expires={expires}", location), timeout=10).status_code == 403
    bare = location.split("?")[0]
    assert requests.get(bare, timeout=10).status_code == 401
