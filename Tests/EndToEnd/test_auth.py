"""Every way polytope-client authenticates, against the real server: a hashed password,
`polytope login` and the API key it stores (Bearer and EmailKey), and a token checked by
Auth-o-tron (a stand-in implementing its contract with a test RSA key)."""

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import DEFAULT_CONFIG, OVERLAY_CONFIG, REPO_ROOT, Api, PolytopeServer

CAROL_PASSWORD = "carol-password"
# made with `polytope hash-password --rounds 100000`
CAROL_HASH = "pbkdf2-sha256$100000$"


class AuthOTron:
    """GET /authenticate: 200 with an RS256 JWT in Authorization for `Bearer oidc-token-1`."""

    def __init__(self):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        self.calls = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.calls += 1
                if self.path != "/authenticate" or self.headers.get("Authorization") != "Bearer oidc-token-1":
                    self.send_response(401)
                    self.end_headers()
                    return
                now = int(time.time())
                claims = {
                    "sub": "u-42", "iss": "auth-o-tron", "aud": "polytope", "iat": now, "exp": now + 300,
                    "username": "dana", "realm": "ecmwf", "roles": ["default"], "attributes": {"email": "dana@example.int"},
                }
                token = jwt.encode(claims, stub.private_key, algorithm="RS256", headers={"kid": "k1"})
                self.send_response(200)
                self.send_header("Authorization", f"Bearer {token}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def auth_server(polytope_bin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("auth")

    hashed = subprocess.run(
        [str(polytope_bin), "hash-password", "--rounds", "100000"], input=CAROL_PASSWORD + "\n", capture_output=True, text=True, check=True
    ).stdout.strip()
    assert hashed.startswith(CAROL_HASH)
    stub = AuthOTron()
    pem_file = workdir / "auth-o-tron.pem"
    pem_file.write_text(stub.public_pem)
    # Appended to the overlay, whose last lines are the authentication.users list.
    extra = f"""\
    - username: carol
      password-hash: "{hashed}"
      roles: [default]
      email: carol@example.int
  auth-o-tron:
    url: {stub.url}
    issuer: auth-o-tron
    audience: polytope
    public-keys:
      - kid: k1
        file: {pem_file}
"""
    assert OVERLAY_CONFIG.rstrip().endswith("roles: [default]")
    server = PolytopeServer("auth", polytope_bin, workdir, extra_config=extra).start()
    yield server, stub
    server.stop()
    stub.close()


def test_hashed_password_basic(auth_server):
    server, _ = auth_server
    api = Api(server, ("carol", CAROL_PASSWORD))
    request_id, _ = api.processed("datasource: echo\nwho: carol\n")
    assert request_id in api.list_ids()
    assert requests.get(server.url + "/api/v1/collections", auth=("carol", "wrong"), timeout=10).status_code == 401


def test_polytope_login_then_the_key_alone(auth_server, run_cli, polytope_cli_path, tmp_path):

    server, _ = auth_server
    config_dir = tmp_path / "client-config"
    config_dir.mkdir()
    login = subprocess.run(
        [str(polytope_cli_path), "login", "carol", "--login-password", CAROL_PASSWORD, "--address", server.url, "--insecure",
         "--config-path", str(config_dir)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert login.returncode == 0, login.stderr
    stored = (config_dir / "config.yaml").read_text()
    assert "user_key" in stored
    key = [line.split(":", 1)[1].strip().strip("'\"") for line in stored.splitlines() if line.startswith("user_key")][0]

    listing = subprocess.run(
        [str(polytope_cli_path), "list", "collections", "--address", server.url, "--insecure", "--config-path", str(config_dir)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert listing.returncode == 0, listing.stderr
    assert "debug" in listing.stderr

    bearer = requests.get(server.url + "/api/v1/user", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert bearer.status_code == 200 and bearer.json()["username"] == "carol"
    email_key = requests.get(server.url + "/api/v1/user", headers={"Authorization": f"EmailKey carol@example.int:{key}"}, timeout=10)
    assert email_key.status_code == 200
    wrong_email = requests.get(server.url + "/api/v1/user", headers={"Authorization": f"EmailKey eve@example.int:{key}"}, timeout=10)
    assert wrong_email.status_code == 401
    minting = requests.post(server.url + "/api/v1/auth/keys", headers={"Authorization": f"Bearer {key}"}, json={}, timeout=10)
    assert minting.status_code == 403


def test_client_with_a_key_and_email_retrieves(auth_server, polytope_client_module, tmp_path):
    server, _ = auth_server
    key = requests.post(server.url + "/api/v1/auth/keys", auth=("carol", CAROL_PASSWORD), json={}, timeout=10).json()["key"]
    client = polytope_client_module.Client(
        address=server.url, insecure=True, user_key=key, user_email="carol@example.int", quiet=True, config_path=str(tmp_path)
    )
    output = tmp_path / "echo.out"
    client.retrieve("debug", "datasource: echo\nvia: emailkey\n", str(output))
    assert output.read_text() == "datasource: echo\nvia: emailkey\n"


def test_auth_o_tron_token_through_the_client(auth_server, polytope_client_module, tmp_path):
    server, stub = auth_server
    client = polytope_client_module.Client(address=server.url, insecure=True, user_key="oidc-token-1", quiet=True, config_path=str(tmp_path))
    output = tmp_path / "dana.out"
    client.retrieve("debug", "datasource: echo\nvia: auth-o-tron\n", str(output))
    assert output.read_text() == "datasource: echo\nvia: auth-o-tron\n"
    user = requests.get(server.url + "/api/v1/user", headers={"Authorization": "Bearer oidc-token-1"}, timeout=10).json()
    assert user["username"] == "dana" and user["realm"] == "ecmwf"
    calls = stub.calls
    for _ in range(5):
        assert requests.get(server.url + "/api/v1/collections", headers={"Authorization": "Bearer oidc-token-1"}, timeout=10).status_code == 200
    assert stub.calls == calls, "Auth-o-tron answers are cached"
    refused = requests.get(server.url + "/api/v1/collections", headers={"Authorization": "Bearer not-a-token"}, timeout=10)
    assert refused.status_code == 401
    assert "expired" not in refused.json()["message"].lower()
    assert set(refused.headers["WWW-Authenticate"].replace(",", " ").split()) >= {"Bearer", "EmailKey"}


def test_no_credential_reaches_the_log(auth_server):
    """Runs last in this module: everything above used passwords, keys and tokens."""
    server, _ = auth_server
    key = requests.post(server.url + "/api/v1/auth/keys", auth=("carol", CAROL_PASSWORD), json={}, timeout=10).json()["key"]
    assert requests.get(server.url + "/api/v1/user", headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200
    log = server.log_path.read_text()
    for secret in [CAROL_PASSWORD, key, "oidc-token-1", "not-a-token"]:
        assert secret not in log, f"a credential reached the log: {secret[:6]}..."
    assert "eyJ" not in log, "a JWT reached the log"


def _users_config(erin):
    """An override whose users are demo and, if given, erin's entry (a YAML flow mapping)."""
    users = "    - {username: demo, password: demo, roles: [default]}\n"
    if erin:
        users += f"    - {erin}\n"
    return "authentication:\n  users:\n" + users


def test_an_api_key_follows_its_user(polytope_bin, tmp_path):
    """A key has its user's roles as configured now; once the user is removed or disabled it
    is refused, `polytope keys list` says why, and the start-up log counts such keys."""
    server = PolytopeServer(
        "stale-keys", polytope_bin, tmp_path,
        override_config=_users_config("{username: erin, password: erin-password, roles: [default, admin]}"),
    ).start()
    key = requests.post(server.url + "/api/v1/auth/keys", auth=("erin", "erin-password"), json={}, timeout=10).json()["key"]
    bearer = {"Authorization": f"Bearer {key}"}

    def user_answer():
        return requests.get(server.url + "/api/v1/user", headers=bearer, timeout=10)

    def roles():
        return sorted(role.strip() for role in user_answer().json()["roles"].split(","))

    def keys_list():
        configs = [DEFAULT_CONFIG, server.overlay, server.override]
        command = [str(polytope_bin), "keys", "list", *(f"--config={path}" for path in configs), "--data-dir", str(server.data_dir)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
        assert result.returncode == 0, result.stderr
        return [line.split("\t") for line in result.stdout.splitlines()[1:] if "\terin\t" in line]

    try:
        assert roles() == ["admin", "default"]
        server.stop()

        server.override_config = _users_config("{username: erin, password: erin-password, roles: [default]}")
        server.start()
        assert roles() == ["default"], "demoted: the key lost admin"
        server.stop()

        server.override_config = _users_config(None)
        server.start()
        removed = user_answer()
        assert removed.status_code == 401, removed.text
        assert "API keys of users who are no longer configured" in server.log_tail(), "the start-up log counts orphaned keys"
        assert [row[4] for row in keys_list()] == ["orphaned"]
        server.stop()

        server.override_config = _users_config("{username: erin, password: erin-password, roles: [default], disabled: true}")
        server.start()
        assert user_answer().status_code == 401
        assert requests.get(server.url + "/api/v1/user", auth=("erin", "erin-password"), timeout=10).status_code == 401
        assert [row[4] for row in keys_list()] == ["disabled"]
    finally:
        server.stop()


def test_a_peers_refused_users_do_not_lock_out_its_other_users(polytope_bin, tmp_path):
    """Forty calls of a peer for a user this server does not have are 401s saying so, and do
    not count as failed sign-ins: the peer's next call for a known user is served, not 429."""
    import base64

    secret = "peer-secret-for-the-lockout-test"
    config = f"authentication:\n  failed-logins: {{per-address: 5, per-user: 5, window: 60s}}\n  peers:\n    - {{name: site-b, secret: \"{secret}\", realms: [local]}}\n"
    server = PolytopeServer("peer-lockout", polytope_bin, tmp_path, override_config=config).start()

    def peer(username):
        identity = base64.urlsafe_b64encode(json.dumps({"username": username, "realm": "local", "roles": [], "attributes": {}}).encode())
        return {"Authorization": f"PolytopePeer site-b:{secret}:{identity.decode().rstrip('=')}"}

    try:
        for _ in range(40):
            refused = requests.get(server.url + "/api/v1/requests", headers=peer("mallory"), timeout=10)
            assert refused.status_code == 401, refused.text
            assert refused.json()["message"] == "User 'mallory' of realm 'local' is not known to this server."
        served = requests.get(server.url + "/api/v1/requests", headers=peer("demo"), timeout=10)
        assert served.status_code == 200, served.text
        # A wrong secret is a failed sign-in as before.
        wrong = {"Authorization": peer("demo")["Authorization"].replace(secret, "not-the-secret-at-all-0000")}
        codes = [requests.get(server.url + "/api/v1/requests", headers=wrong, timeout=10).status_code for _ in range(8)]
        assert codes[0] == 401 and codes[-1] == 429, codes
    finally:
        server.stop()
