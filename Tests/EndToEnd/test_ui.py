"""The web page (/ui) in a real browser: headless Chromium (Debian `chromium` and
`chromium-driver`, installed by scripts/setup --tests) driven by Selenium from the e2e venv.

One server and one browser serve the whole module (starting Chromium costs seconds). Each
test checks that the browser console stayed free of errors (a CSP violation is one), and
screenshots of the pages are written to $POLYTOPE_E2E_ARTIFACTS (default
.build/e2e-artifacts)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import DEMO, REPO_ROOT, PolytopeServer, _free_port

ROOT = ("root", "root-password")
ARTIFACTS = Path(os.environ.get("POLYTOPE_E2E_ARTIFACTS", str(REPO_ROOT / ".build" / "e2e-artifacts")))

# `slow` runs one request at a time per user and writes 2,000 bytes a second, so a request
# is seen waiting, then processing, then processed while the page is open.
UI_CONFIG = """\
authentication:
  failed-logins: {per-address: 1000000, per-user: 1000000}
  users:
    - {username: demo, password: demo, roles: [default]}
    - {username: root, password: root-password, roles: [default, admin]}
collections:
  slow:
    roles: [default]
    limits: {per-user: 1}
    datasources:
      - {name: slow, type: dummy, rate: 2000}
"""


def _browser_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return browser, driver


@pytest.fixture(scope="module")
def ui_server(polytope_bin, tmp_path_factory):
    server = PolytopeServer("web-page", polytope_bin, tmp_path_factory.mktemp("web-page"), override_config=UI_CONFIG).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("browser-downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    binary, driver_path = _browser_paths()
    assert binary and driver_path, "Chromium and chromedriver are needed: scripts/setup --tests installs them"
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager reach for the network
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False, "safebrowsing.enabled": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, ui_server, request):
    """The browser, signed out, with the console checked after the test."""
    browser.delete_all_cookies()
    browser.get(ui_server.url + "/ui/sign-in")
    browser.get_log("browser")  # drop what came before
    yield browser
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    screenshot(browser, request.node.name)
    assert errors == [], f"console errors: {errors}"


def screenshot(browser, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"ui-{name}.png"))


def expect_only_failed_responses(browser, statuses):
    """Chromium logs a page answered 4xx as a console error; takes such entries for the
    expected statuses out of the log, and fails on any other entry."""
    for entry in browser.get_log("browser"):
        expected = entry["source"] == "network" and any(f"status of {status} " in entry["message"] for status in statuses)
        assert expected, f"console error: {entry}"


def sign_in(browser, server, credentials):
    browser.get(server.url + "/")
    assert browser.current_url.endswith("/ui/sign-in"), browser.current_url
    browser.find_element(By.ID, "username").send_keys(credentials[0])
    browser.find_element(By.ID, "password").send_keys(credentials[1])
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/ui/requests"))
    assert f"Signed in as {credentials[0]}" in browser.find_element(By.TAG_NAME, "nav").text


def submit(browser, server, collection, text):
    browser.get(server.url + "/ui/submit")
    Select(browser.find_element(By.ID, "collection")).select_by_value(collection)
    area = browser.find_element(By.ID, "request")
    area.clear()
    area.send_keys(text)
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 10).until(lambda b: not b.current_url.endswith("/ui/submit") or b.find_elements(By.CLASS_NAME, "field-error"))


def row_status(browser, request_id):
    try:
        return browser.find_element(By.ID, f"request-{request_id}").get_attribute("data-status")
    except (StaleElementReferenceException, Exception):
        return None


def test_sign_in_submit_watch_download_and_revoke(page, ui_server, downloads):
    sign_in(page, ui_server, DEMO)
    submit(page, ui_server, "slow", "size: 6000")
    WebDriverWait(page, 10).until(lambda b: "/ui/requests?submitted=" in b.current_url)
    request_id = page.current_url.split("submitted=")[1]
    assert f"Request {request_id} accepted." in page.find_element(By.ID, "notice").text
    first = row_status(page, request_id)
    assert first in ("waiting", "queued", "processing"), first
    # The page updates itself: a mark set in this document survives until the row says processed.
    page.execute_script("window.polytopeMark = 'same document';")
    seen = {first}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = row_status(page, request_id)
        if status:
            seen.add(status)
        if status == "processed":
            break
        time.sleep(0.2)
    assert "processed" in seen, seen
    assert len(seen) >= 2, f"the status never changed on the page: {seen}"
    assert page.execute_script("return window.polytopeMark;") == "same document", "the page was reloaded"
    row = page.find_element(By.ID, f"request-{request_id}")
    assert "6.0 kB" in row.text
    screenshot(page, "my-requests-processed")

    # Download: the link is a capability URL (no credentials) and the browser saves the bytes.
    link = page.find_element(By.ID, f"download-{request_id}")
    href = link.get_attribute("href")
    assert requests.get(href, timeout=10).content == b"x" * 6000
    link.click()
    target = downloads / f"{request_id}.bin"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (target.exists() and target.stat().st_size == 6000):
        time.sleep(0.2)
    saved = [p for p in downloads.iterdir() if not p.name.endswith(".crdownload")]
    assert any(p.read_bytes() == b"x" * 6000 for p in saved), [p.name for p in downloads.iterdir()]

    # Revoke: the row goes, the API agrees.
    page.find_element(By.ID, f"revoke-{request_id}").click()
    WebDriverWait(page, 10).until(lambda b: "revoked=" in b.current_url)
    assert f"Request {request_id} revoked." in page.find_element(By.ID, "notice").text
    assert not page.find_elements(By.ID, f"request-{request_id}")
    assert requests.get(f"{ui_server.url}/api/v1/requests/{request_id}", auth=DEMO, timeout=10).status_code == 404


def test_a_waiting_request_says_why(page, ui_server):
    sign_in(page, ui_server, DEMO)
    ids = []
    for _ in range(2):  # slow admits one request per user at a time: the second waits
        response = requests.post(
            f"{ui_server.url}/api/v1/requests/slow", auth=DEMO, json={"verb": "retrieve", "request": "size: 8000"}, timeout=10
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    page.get(ui_server.url + "/ui/requests")
    waiting = page.find_element(By.ID, f"request-{ids[1]}")
    assert waiting.get_attribute("data-status") == "waiting"
    assert "per-user limit 1 in collection slow" in waiting.text
    for request_id in ids:
        requests.delete(f"{ui_server.url}/api/v1/requests/{request_id}", auth=DEMO, timeout=10)


def test_submit_shows_the_check_next_to_the_field(page, ui_server):
    sign_in(page, ui_server, DEMO)
    submit(page, ui_server, "debug", "datasource: nothing")
    error = page.find_element(By.ID, "request-error")
    assert "No datasource of collection 'debug' accepts this request" in error.text
    area = page.find_element(By.ID, "request")
    assert area.get_attribute("aria-invalid") == "true"
    assert "request-error" in area.get_attribute("aria-describedby")
    assert area.get_attribute("value") == "datasource: nothing"  # what the user wrote is kept
    screenshot(page, "submit-error")
    expect_only_failed_responses(page, {400})


def test_wrong_password_is_refused_on_the_page(page, ui_server):
    page.get(ui_server.url + "/ui/sign-in")
    page.find_element(By.ID, "username").send_keys("demo")
    page.find_element(By.ID, "password").send_keys("wrong")
    page.find_element(By.ID, "sign-in").click()
    alert = WebDriverWait(page, 10).until(lambda b: b.find_elements(By.ID, "sign-in-error"))[0]
    assert "Invalid credentials" in alert.text
    assert page.find_element(By.ID, "username").get_attribute("value") == "demo"
    expect_only_failed_responses(page, {401})


def test_sign_in_with_an_api_key_and_the_session_stays_out_of_reach_of_scripts(page, ui_server):
    key = requests.post(ui_server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
    page.find_element(By.ID, "api-key").send_keys(key)
    page.find_element(By.ID, "sign-in").click()
    WebDriverWait(page, 10).until(lambda b: b.current_url.endswith("/ui/requests"))
    cookies = page.get_cookies()
    assert [(c["name"], c["httpOnly"], c.get("sameSite"), c["path"]) for c in cookies] == [("polytope_session", True, "Strict", "/ui")]
    assert page.execute_script("return document.cookie;") == ""
    assert page.execute_script("return window.localStorage.length + window.sessionStorage.length;") == 0
    assert key not in page.current_url and cookies[0]["value"] != key  # the session is a key of its own


def test_sign_out_ends_the_session(page, ui_server):
    sign_in(page, ui_server, DEMO)
    session = page.get_cookie("polytope_session")["value"]
    page.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
    WebDriverWait(page, 10).until(lambda b: b.current_url.endswith("/ui/sign-in"))
    assert page.get_cookie("polytope_session") is None
    # The key behind the session is revoked, not only forgotten by this browser.
    again = requests.get(ui_server.url + "/ui/requests", cookies={"polytope_session": session}, allow_redirects=False, timeout=10)
    assert again.status_code == 303 and again.headers["Location"] == "/ui/sign-in"


def test_an_admin_sees_the_queue_and_a_user_does_not(page, ui_server):
    failed = requests.post(
        f"{ui_server.url}/api/v1/requests/debug", auth=DEMO, json={"verb": "retrieve", "request": "datasource: raise"}, timeout=10
    ).json()["id"]
    # The view lists failures that have happened: wait for this one before opening it.
    deadline = time.monotonic() + 30
    while requests.get(f"{ui_server.url}/api/v1/requests/{failed}", auth=DEMO, allow_redirects=False, timeout=10).status_code != 400:
        assert time.monotonic() < deadline, "the raise request never failed"
        time.sleep(0.05)
    ids = []
    for _ in range(3):
        response = requests.post(
            f"{ui_server.url}/api/v1/requests/slow", auth=DEMO, json={"verb": "retrieve", "request": "size: 20000"}, timeout=10
        )
        ids.append(response.json()["id"])
    sign_in(page, ui_server, ROOT)
    page.find_element(By.LINK_TEXT, "System").click()
    WebDriverWait(page, 10).until(lambda b: b.current_url.endswith("/ui/system"))
    slow = page.find_element(By.ID, "collection-slow")
    cells = [cell.text for cell in slow.find_elements(By.TAG_NAME, "td")]
    assert int(cells[1]) >= 1, cells  # waiting behind demo's per-user limit
    assert "per user 1" in slow.text
    assert "demo 1" in slow.text
    assert "slots busy" in page.find_element(By.ID, "workers").text
    assert page.find_elements(By.CSS_SELECTOR, "#rate svg rect.bar"), "the chart has no bars"
    assert "requests submitted in the last hour" in page.find_element(By.ID, "rate").text
    assert failed in page.find_element(By.ID, "failures").text
    assert "staged objects" in page.find_element(By.ID, "staging").text
    screenshot(page, "system")
    # The view refreshes itself: revoking the queue empties the waiting column without a reload.
    for request_id in ids:
        requests.delete(f"{ui_server.url}/api/v1/requests/{request_id}", auth=DEMO, timeout=10)
    # The view replaces its table when it refreshes, so an element found just before can be gone.
    WebDriverWait(page, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.ID, "collection-slow").find_elements(By.TAG_NAME, "td")[1].text == "0")

    page.delete_all_cookies()
    sign_in(page, ui_server, DEMO)
    assert not page.find_elements(By.LINK_TEXT, "System")
    page.get(ui_server.url + "/ui/system")
    assert "for administrators" in page.find_element(By.TAG_NAME, "main").text
    expect_only_failed_responses(page, {403})


def test_keyboard_reaches_the_skip_link_and_the_form(page, ui_server):
    page.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert page.switch_to.active_element.text == "Skip to content"
    order = []
    for _ in range(5):
        page.switch_to.active_element.send_keys(Keys.TAB)
        order.append(page.switch_to.active_element.get_attribute("id") or page.switch_to.active_element.text)
    assert order == ["Polytope", "username", "password", "api-key", "sign-in"], order
    labels = {label.get_attribute("for") for label in page.find_elements(By.TAG_NAME, "label")}
    assert {"username", "password", "api-key"} <= labels


def test_headers_and_forged_forms(ui_server):
    """Without a browser: the page's headers, and forms that did not come from the page."""
    signed_in = requests.Session()
    response = signed_in.post(ui_server.url + "/ui/sign-in", data={"username": "demo", "password": "demo"}, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    page = signed_in.get(ui_server.url + "/ui/requests", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "<table" in page.text or "You have no requests" in page.text  # rendered on the server: readable without JavaScript
    before = len(requests.get(ui_server.url + "/api/v1/requests", auth=DEMO, timeout=10).json()["message"])
    # No anti-forgery token: refused.
    forged = signed_in.post(ui_server.url + "/ui/submit", data={"collection": "debug", "request": "datasource: echo"}, timeout=10)
    assert forged.status_code == 403 and "reload the page" in forged.text
    # The right token but another site's origin: refused.
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    foreign = signed_in.post(
        ui_server.url + "/ui/submit",
        data={"collection": "debug", "request": "datasource: echo", "csrf": token},
        headers={"Origin": "http://evil.example"},
        timeout=10,
    )
    assert foreign.status_code == 403
    assert len(requests.get(ui_server.url + "/api/v1/requests", auth=DEMO, timeout=10).json()["message"]) == before
    # Without a session, pages send the browser to the sign-in form and scripts get 401.
    assert requests.get(ui_server.url + "/ui/requests", allow_redirects=False, timeout=10).headers["Location"] == "/ui/sign-in"
    # A user's API key in the cookie is not a session: only keys the sign-in issued open the page.
    api_key = requests.post(ui_server.url + "/api/v1/auth/keys", auth=DEMO, json={}, timeout=10).json()["key"]
    assert requests.get(ui_server.url + "/api/v1/requests", headers={"Authorization": f"Bearer {api_key}"}, timeout=10).status_code == 200
    with_api_key = requests.get(ui_server.url + "/ui/requests", cookies={"polytope_session": api_key}, allow_redirects=False, timeout=10)
    assert with_api_key.status_code == 303 and with_api_key.headers["Location"] == "/ui/sign-in"
    assert requests.get(ui_server.url + "/ui/requests", headers={"X-Polytope-Fragment": "1"}, timeout=10).status_code == 401
    asset = requests.get(ui_server.url + "/ui/assets/app.js", timeout=10)
    assert asset.status_code == 200 and "javascript" in asset.headers["Content-Type"]


class PathProxy:
    """nginx serving polytope under `/polytope/` on its own port, as a site's reverse proxy
    does: it strips the prefix and, as nginx does by default, sends polytope its own
    `Host` (polytope's address), not the browser's."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/polytope"
        self.process = None

    def start(self, upstream_port):
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(f"    {kind}_temp_path {self.workdir}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.workdir / "nginx.conf").write_text(f"""{user}worker_processes 1;
daemon off;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {self.workdir}/access.log;
{temp}    server {{
        listen 127.0.0.1:{self.port};
        location /polytope/ {{ proxy_pass http://127.0.0.1:{upstream_port}/; proxy_buffering off; }}
    }}
}}
""")
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([binary, "-e", str(self.workdir / "error.log"), "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf")],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(self.url + "/api/v1/test", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, (self.workdir / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def test_behind_a_proxy_under_a_path(browser, polytope_bin, tmp_path_factory, downloads):
    """`public-url: http://proxy/polytope`: the page works through the proxy's path from sign-in
    to sign-out; no link, form, refresh or redirect leaves it."""
    workdir = tmp_path_factory.mktemp("proxied")
    proxy = PathProxy(workdir)
    public = proxy.url
    server = PolytopeServer("proxied", polytope_bin, workdir, override_config=UI_CONFIG + f"server: {{public-url: '{public}'}}\n").start()
    try:
        proxy.start(server.port)
        browser.delete_all_cookies()
        browser.get(public + "/")
        browser.get_log("browser")
        sign_in(browser, proxy, DEMO)
        assert browser.current_url == public + "/ui/requests"
        submit(browser, proxy, "slow", "size: 2000")
        WebDriverWait(browser, 10).until(lambda b: "/ui/requests?submitted=" in b.current_url)
        assert browser.current_url.startswith(public + "/ui/requests?submitted=")
        request_id = browser.current_url.split("submitted=")[1]
        # The in-place refresh fetches through the proxy too: the row turns processed without a reload.
        browser.execute_script("window.polytopeMark = 'same document';")
        WebDriverWait(browser, 20).until(lambda b: row_status(b, request_id) == "processed")
        assert browser.execute_script("return window.polytopeMark;") == "same document"
        links = [e.get_attribute("href") or e.get_attribute("action") for e in browser.find_elements(By.CSS_SELECTOR, "a[href], form[action]")]
        outside = [link for link in links if not link.startswith(public + "/") and "#" not in link]
        assert outside == [], outside
        href = browser.find_element(By.ID, f"download-{request_id}").get_attribute("href")
        assert href.startswith(public + "/api/v1/downloads/") and requests.get(href, timeout=10).content == b"x" * 2000
        browser.find_element(By.ID, f"revoke-{request_id}").click()
        WebDriverWait(browser, 10).until(lambda b: "revoked=" in b.current_url)
        assert browser.current_url.startswith(public + "/ui/requests")
        browser.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
        WebDriverWait(browser, 10).until(lambda b: b.current_url == public + "/ui/sign-in")
        browser.get(public + "/ui/requests")
        assert browser.current_url == public + "/ui/sign-in", "the session ended"
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        screenshot(browser, "behind-a-proxy")
        assert errors == [], f"console errors: {errors}"
    finally:
        if proxy.process:
            proxy.stop()
        server.stop()
