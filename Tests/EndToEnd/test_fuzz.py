"""Fuzzing the running server with schemathesis against its own OpenAPI document: at
least 1,000 generated cases, no 5xx, every response as documented (status, content
type, headers, body schema), unauthenticated calls refused, revoked requests gone."""

import json
import subprocess
import sys
from pathlib import Path

import requests

from conftest import PolytopeServer

# Appended to the overlay, whose last lines are the authentication.users list: an
# administrator (for the telemetry routes), and a dummy datasource capped at 1 MiB.
FUZZ_CONFIG = """\
    - username: root
      password: root-password
      roles: [admin]
collections:
  debug:
    datasources:
      - {name: echo, type: echo, match: {datasource: echo}}
      - {name: raise, type: raise, match: {datasource: raise}}
      - {name: dummy, type: dummy, max-size: 1M, defaults: {datasource: dummy}, match: {datasource: dummy}}
"""

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
        "use_after_free",
    ]
)


def test_schemathesis_finds_nothing(polytope_bin, tmp_path):
    server = PolytopeServer("fuzz", polytope_bin, tmp_path, extra_config=FUZZ_CONFIG).start()
    report = tmp_path / "schemathesis.json"
    schemathesis = Path(sys.executable).parent / "schemathesis"
    try:
        run = subprocess.run(
            [
                str(schemathesis), "run", server.url + "/openapi.yaml",
                "--auth", "root:root-password",
                "--max-examples", "80",
                "--checks", CHECKS,
                "--seed", "20261129",
                "--workers", "2",
                "--request-timeout", "20",
                "--report", "json", "--report-json-path", str(report),
                "--no-color",
            ],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
        summary = json.loads(report.read_text())
        output = run.stdout[-4000:] + run.stderr[-2000:]
        assert summary["complete"], output
        assert summary["test_cases"]["generated"] >= 1000, output
        assert summary["failures"] == [] and summary["errors"] == [], output
        assert run.returncode == 0, output
        server.assert_alive()
        assert "internal error" not in server.log_path.read_text()
    finally:
        server.stop()
