"""Real GRIB through every kind of datasource, with the real client and MARS requests
(lists and ranges), fields returned in request order: a program plugged in with the
command datasource, an HTTP portal in the ECMWF open-data layout, and federation to a
second server that archives the fields."""

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, PolytopeServer
from gribfiles import PARAMS, make_fields, short_names_and_steps

REQUEST = "retrieve, date=2025-01-01, time=12, param=msl/2t, step=0/to/6/by/6"
IN_REQUEST_ORDER = [["msl", "0"], ["msl", "6"], ["2t", "0"], ["2t", "6"]]

# A stand-in for the MARS client: reads the request file the command datasource writes
# (`retrieve,\n key=a/b,\n ...,\n target="..."`) and writes the requested fields, in
# request order, from one file per field (<param id>-<step>.grib) to the target.
PROGRAM = r'''
import itertools, os, sys
keys, target = {}, None
for line in open(sys.argv[1]).read().splitlines()[1:]:
    key, _, value = line.strip().rstrip(",").partition("=")
    if key == "target":
        target = value.strip('"')
    else:
        keys[key] = value.split("/")
with open(target, "wb") as out:
    for param, step in itertools.product(keys["param"], keys["step"]):
        with open(os.path.join(os.environ["FIELDS"], f"{param}-{step}.grib"), "rb") as field:
            out.write(field.read())
'''


@pytest.fixture
def fields(tmp_path):
    return make_fields(tmp_path)


def expected(fields):
    return b"".join(fields[(name, int(step))] for name, step in IN_REQUEST_ORDER)


def test_command_datasource_runs_the_program(polytope_bin, tmp_path, fields, make_client):
    store = tmp_path / "fields"
    store.mkdir()
    for (name, step), data in fields.items():
        (store / f"{PARAMS[name]}-{step}.grib").write_bytes(data)
    program = tmp_path / "fake-mars.py"
    program.write_text(PROGRAM)
    config = f"""
collections:
  mars:
    language: mars
    datasources:
      - name: mars-client
        type: command
        command: [{sys.executable}, {program}, "{{request}}"]
        environment: {{FIELDS: {store}}}
        timeout: 1m
"""
    server = PolytopeServer("command", polytope_bin, tmp_path, extra_config=config).start()
    try:
        output = tmp_path / "out.grib"
        make_client(server).retrieve("mars", REQUEST, str(output))
        assert output.read_bytes() == expected(fields)
        assert short_names_and_steps(output) == IN_REQUEST_ORDER
    finally:
        server.stop()


@pytest.fixture
def portal():
    script = REPO_ROOT / "scripts" / "test-http-portal"
    result = subprocess.run([str(script), "start"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    url, directory, _, www = result.stdout.split()[:4]
    yield url, www
    subprocess.run([str(script), "stop", directory], capture_output=True)


def test_http_datasource_reads_an_open_data_portal(polytope_bin, tmp_path, fields, make_client, portal):
    url, www = portal
    # One file per step holding both parameters, with its .index, as ECMWF open data has them.
    from pathlib import Path

    folder = Path(www) / "20250101" / "12z" / "ifs" / "0p25" / "oper"
    folder.mkdir(parents=True)
    for step in (0, 6):
        data, lines = b"", []
        for name in ("2t", "msl"):
            message = fields[(name, step)]
            lines.append(json.dumps({"domain": "g", "date": "20250101", "time": "1200", "expver": "0001", "class": "od",
                                     "type": "fc", "stream": "oper", "step": str(step), "levtype": "sfc", "param": name,
                                     "_offset": len(data), "_length": len(message)}))
            data += message
        (folder / f"20250101120000-{step}h-oper-fc.grib2").write_bytes(data)
        (folder / f"20250101120000-{step}h-oper-fc.index").write_text("\n".join(lines) + "\n")
    config = f"""
collections:
  open-data:
    language: mars
    datasources:
      - name: portal
        type: http
        layout: open-data
        url: "{url}/{{date}}/{{time:HH}}z/ifs/0p25/{{stream}}/{{date}}{{time:HH}}0000-{{step}}h-{{stream}}-{{type}}.grib2"
        defaults: {{stream: oper, type: fc}}
"""
    server = PolytopeServer("open-data", polytope_bin, tmp_path, extra_config=config).start()
    try:
        output = tmp_path / "out.grib"
        make_client(server).retrieve("open-data", REQUEST, str(output))
        assert output.read_bytes() == expected(fields)
        assert short_names_and_steps(output) == IN_REQUEST_ORDER
    finally:
        server.stop()


def test_federation_to_a_server_that_archives(polytope_bin, tmp_path, fields, make_client):
    secret = "real-data-federation-secret-0123"
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    remote = PolytopeServer("site-b", polytope_bin, tmp_path / "b", extra_config=f"""  peers:
    - {{name: site-a, secret: "{secret}", realms: [local]}}
collections:
  archive:
    language: mars
    datasources:
      - {{name: fields, type: grib-archive, root: {tmp_path / 'b' / 'archive'}}}
""").start()
    forwarder = None
    try:
        upload = tmp_path / "upload.grib"
        upload.write_bytes(b"".join(fields.values()))
        metadata = tmp_path / "metadata.yaml"
        metadata.write_text("date: 20250101\nparam: [2t, msl]\n")
        make_client(remote).archive("archive", str(metadata), str(upload), inline_metadata=False)
        forwarder = PolytopeServer("site-a", polytope_bin, tmp_path / "a", extra_config=f"""
collections:
  archive:
    language: mars
    datasources:
      - {{name: site-b, type: polytope, url: "{remote.url}", peer-name: site-a, secret: "{secret}", poll-interval: 100ms}}
""").start()
        output = tmp_path / "out.grib"
        make_client(forwarder).retrieve("archive", REQUEST, str(output))
        assert output.read_bytes() == expected(fields)
    finally:
        if forwarder:
            forwarder.stop()
        remote.stop()
