"""The configurations the documentation offers must be valid: `polytope config check` on
polytope.yaml and on every example under docs/examples, as the documents combine them."""

import os
import subprocess

import pytest

from conftest import DEFAULT_CONFIG, REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples"
# What the examples read from the environment (the systemd units take it from secrets.env).
ENVIRONMENT = {
    "POLYTOPE_DB_PASSWORD": "example-password",
    "POLYTOPE_DOWNLOAD_SECRET": "example-download-secret-0123456789abcdef",
    "POLYTOPE_S3_ACCESS_KEY": "example-access-key",
    "POLYTOPE_S3_SECRET_KEY": "example-secret-key",
    "POLYTOPE_PEER_SECRET": "example-peer-secret-0123456789",
    "MARS_USER_KEY": "example-mars-key",
}


@pytest.mark.parametrize(
    "files",
    [
        [DEFAULT_CONFIG],
        [DEFAULT_CONFIG, EXAMPLES / "datasources.yaml"],
        [EXAMPLES / "single-host.yaml"],
        [EXAMPLES / "common.yaml", EXAMPLES / "frontend.yaml"],
        [EXAMPLES / "common.yaml", EXAMPLES / "broker.yaml"],
        [EXAMPLES / "common.yaml", EXAMPLES / "worker.yaml"],
    ],
    ids=lambda files: "+".join(path.name for path in files),
)
def test_documented_configuration_is_valid(polytope_bin, files, tmp_path):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **ENVIRONMENT}
    result = subprocess.run([str(polytope_bin), "config", "check", "--quiet", *map(str, files)], cwd=tmp_path,
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning:" not in result.stderr, result.stderr
    assert not any(tmp_path.iterdir()), "config check created files"


def test_a_configuration_where_no_one_can_sign_in_is_valid_with_a_warning(polytope_bin, tmp_path):
    config = tmp_path / "nousers.yaml"
    config.write_text("authentication:\n  users: []\ncollections: {debug: {datasources: [{type: echo}]}}\n")
    result = subprocess.run([str(polytope_bin), "config", "check", "--quiet", str(config)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "warning: no one can sign in with a password" in result.stderr, result.stderr


def test_every_example_is_checked():
    checked = {"datasources.yaml", "single-host.yaml", "common.yaml", "frontend.yaml", "broker.yaml", "worker.yaml"}
    assert {path.name for path in EXAMPLES.glob("*.yaml")} == checked


def test_reuse_results_near_the_garbage_collectors_age_is_valid_with_a_warning(polytope_bin, tmp_path):
    config = tmp_path / "reuse.yaml"
    config.write_text("garbage-collector: {age: 15m}\nauthentication: {users: [{username: a, password: b}]}\n"
                      "collections: {debug: {reuse-results: 10m, datasources: [{type: dummy}]}}\n")
    result = subprocess.run([str(polytope_bin), "config", "check", "--quiet", str(config)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "warning: collections.debug.reuse-results (10m) is more than half of garbage-collector.age (15m)" in result.stderr, result.stderr
