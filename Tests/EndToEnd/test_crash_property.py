"""Crash recovery as a property: kill -9 `serve --all` at random moments while a load
generator submits, polls and downloads; after the last restart every request that was
answered 202 must finish, none may be lost, and none may run more often than
`broker.max-attempts`.

test_crash.py checks one kill at one chosen moment. Crashes in real life do not pick
their moment: a kill can land while a POST is being committed, while a worker renames
its staged file but has not yet recorded it, while the broker recovers the leases of the
previous crash, or during start-up. Each trial here runs the embedded default (SQLite
store, filesystem staging) on one data directory, kills it 1 to 3 times after random
delays (a seeded RNG), restarts it on the same directory each time, then checks every
accepted request:

- it is never lost: no poll answers 404, before or after the crashes;
- it reaches a final state once the leases of the dead processes have expired;
- processed: the download has exactly the expected content (the echo datasource returns
  the request text, which carries a unique nonce; the slow dummy datasource `size` bytes
  of `x`), and the staged file `<id>.<attempts>` exists with that size;
- it ran at most `broker.max-attempts` times: `attempts` is within the bound and equals
  the number of `processing` entries in its status history, whose sequence is legal;
- failed only if it used up its attempts, each of them ended by a dead worker (the
  message says the worker stopped responding); any other failure is a bug;
- a result seen before a crash (303 or 400) is never undone afterwards;
- no request ran twice to completion: staged files `<id>.<k>` other than the referenced
  one are allowed only for attempts k < attempts that were cut off by a kill (the file was
  written before the kill of the process that ran the attempt).

Trials: $POLYTOPE_CRASH_TRIALS (default 3, so that the normal e2e run stays short;
scripts/crash-trials runs 100). Each trial has its own seed, printed and named in every
failure; $POLYTOPE_CRASH_SEED=<seed> with POLYTOPE_CRASH_TRIALS=1 replays that trial's
schedule (kill delays, number of kills, max-attempts, request sizes). Thread timing is
not reproducible, so a replay may need several runs (POLYTOPE_CRASH_TRIALS=20 runs seeds
<seed>, <seed>+1, ...; the first is the one that failed).
"""

import datetime
import os
import random
import re
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field

import pytest
import requests

import conftest
from conftest import DEMO, UUID_RE, Api, PolytopeServer


def _setting(name, default):
    # conftest removes every POLYTOPE_* variable from the environment at start-up (to
    # isolate the client) and keeps the caller's environment in _saved_environ.
    saved = getattr(conftest, "_saved_environ", None) or os.environ
    return saved.get(name, default)


TRIALS = int(_setting("POLYTOPE_CRASH_TRIALS", "3"))
BASE_SEED = int(_setting("POLYTOPE_CRASH_SEED", str(random.SystemRandom().randrange(1, 10**9))))

LEASE = 2.0  # seconds: worker.lease below; a dead worker's requests run again after this
FINAL_TIMEOUT = 60.0  # seconds after the last restart for every accepted request to finish
SLACK = 0.25  # seconds of tolerance when comparing server timestamps with the kill times

# Short leases so that recovery takes seconds; a `slow` collection whose dummy datasource
# produces 2 MiB/s so that requests are often `processing` when the kill comes; telemetry
# lists every request with its full status history to the demo user.
CRASH_CONFIG = """\
worker:
  lease: 2s
  heartbeat: 500ms
  poll-interval: 200ms
broker:
  poll-interval: 200ms
  max-attempts: {max_attempts}
telemetry:
  admin-roles: [default]
collections:
  slow:
    datasources:
      - {{name: slow, type: dummy, rate: 2M}}
"""

STAGED_NAME_RE = re.compile(r"(" + UUID_RE + r")\.(\d+)")
GIVING_UP = "each time the worker running it stopped responding; giving up"


@dataclass
class Expected:
    """What an accepted request must return."""

    kind: str  # "echo" or "slow"
    text: str  # the request text sent
    size: int  # length of the expected result

    def matches(self, content):
        if self.kind == "echo":
            return content == self.text.encode()
        return len(content) == self.size and content.count(b"x") == self.size


@dataclass
class Epoch:
    """One server process of the trial: when it started and (unless it is the last) was killed."""

    server: PolytopeServer
    started: float
    killed: float = None


@dataclass
class Load:
    """State shared by the load generator threads and the test."""

    url: str = None  # the live server, None while it is down
    lock: threading.Lock = field(default_factory=threading.Lock)
    up: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    accepted: dict = field(default_factory=dict)  # id -> Expected
    accepted_at: dict = field(default_factory=dict)  # id -> epoch index
    unanswered_posts: int = 0  # POSTs that died with the server: the request may or may not exist
    seen_final: dict = field(default_factory=dict)  # id -> 303 or 400, seen by a poller
    violations: list = field(default_factory=list)  # property violations seen during the load
    epoch: int = 0

    def target(self):
        with self.lock:
            return self.url, self.epoch

    def violation(self, text):
        with self.lock:
            self.violations.append(text)


def _session():
    session = requests.Session()
    session.trust_env = False
    session.auth = DEMO
    return session


def _wait_up(load):
    while not load.stop.is_set():
        if load.up.wait(0.1):
            url, epoch = load.target()
            if url is not None:
                return url, epoch
    return None, None


def _submitter(load, kind, rng, trial):
    """POSTs requests; records the id of every 202 with what it must return."""
    session = _session()
    count = 0
    while not load.stop.is_set():
        url, epoch = _wait_up(load)
        if url is None:
            return
        if kind == "echo":
            text = f"datasource: echo\ntrial: {trial}\nn: {count}\nnonce: {uuid.uuid4().hex}\n"
            collection, expected = "debug", Expected("echo", text, len(text.encode()))
        else:
            size = rng.randrange(200_000, 5_000_000)
            text = f"size: {size}\nnonce: {uuid.uuid4().hex}\n"
            collection, expected = "slow", Expected("slow", text, size)
        count += 1
        try:
            response = session.post(f"{url}/api/v1/requests/{collection}", json={"verb": "retrieve", "request": text}, timeout=10)
        except requests.RequestException:
            # The server died (or stalled) while the POST was in flight: no promise was
            # made, but the request may have been committed.
            with load.lock:
                load.unanswered_posts += 1
            continue
        if response.status_code == 202:
            request_id = response.headers.get("Location", "").rsplit("/", 1)[-1]
            if not re.fullmatch(UUID_RE, request_id):
                load.violation(f"202 without a request id in Location: {response.headers.get('Location')!r}")
                continue
            with load.lock:
                load.accepted[request_id] = expected
                load.accepted_at[request_id] = epoch
        else:
            load.violation(f"POST {collection} answered {response.status_code} instead of 202: {response.text[:300]}")
        # About 40 echo requests a second over the three threads and 4 MiB/s of slow
        # ones, so that the four worker slots (8 MiB/s of slow data) keep up and the
        # backlog after the last restart drains in seconds.
        time.sleep(rng.uniform(0.02, 0.08) if kind == "echo" else rng.uniform(0.3, 0.9))


def _poller(load, rng):
    """Polls accepted requests and downloads finished ones while the crashes happen."""
    session = _session()
    while not load.stop.is_set():
        url, _ = _wait_up(load)
        if url is None:
            return
        with load.lock:
            if not load.accepted:
                ids = None
            else:
                ids = rng.sample(sorted(load.accepted), min(5, len(load.accepted)))
        if ids is None:
            time.sleep(0.02)
            continue
        for request_id in ids:
            try:
                response = session.get(f"{url}/api/v1/requests/{request_id}", allow_redirects=False, timeout=10)
                if response.status_code == 303:
                    download = session.get(response.headers["Location"], timeout=30)
                    if download.status_code == 200 and not load.accepted[request_id].matches(download.content):
                        load.violation(f"{request_id}: download during the load returned wrong content ({len(download.content)} bytes)")
            except requests.RequestException:
                break  # the server died: wait for the next one
            if response.status_code == 404:
                load.violation(f"{request_id}: accepted, then a poll answered 404 during the load: {response.text}")
            elif response.status_code in (303, 400):
                with load.lock:
                    load.seen_final.setdefault(request_id, response.status_code)
            elif response.status_code != 202:
                load.violation(f"{request_id}: a poll answered {response.status_code}: {response.text[:300]}")
        time.sleep(0.01)


def _parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _kill_delay(rng):
    """Seconds the current server lives: mostly a few seconds, sometimes at once (start-up
    and lease recovery of the previous crash are also crash points)."""
    return rng.uniform(0.0, 0.4) if rng.random() < 0.2 else rng.uniform(0.4, 4.0)


def _trial_seeds():
    return [BASE_SEED + index for index in range(TRIALS)]


@pytest.fixture
def trial_servers():
    """The trial's servers; any still running at teardown (the test failed) is killed,
    after the conftest hook has attached its log tail to the report."""
    servers = []
    yield servers
    for server in servers:
        if server.process is not None and server.process.poll() is None:
            server.kill()


@pytest.mark.parametrize("seed", _trial_seeds(), ids=[f"trial-{index:03d}" for index in range(TRIALS)])
def test_kill_9_at_random_moments_loses_nothing_and_respects_the_attempt_bound(polytope_bin, tmp_path, trial_servers, seed):
    rng = random.Random(seed)
    kills = rng.randint(1, 3)
    max_attempts = rng.choice([2, 3])
    tag = f"[seed {seed}: POLYTOPE_CRASH_SEED={seed} POLYTOPE_CRASH_TRIALS=1 replays it; {kills} kill(s), max-attempts {max_attempts}]"
    print(tag)
    data_dir = tmp_path / "data"
    config = CRASH_CONFIG.format(max_attempts=max_attempts)
    epochs = []
    history = {}  # id -> telemetry record with the full status history, once final
    t0 = time.time()

    def start():
        index = len(epochs)
        workdir = tmp_path / f"server-{index}"
        workdir.mkdir()
        started = time.time()
        server = PolytopeServer(f"crash-{index}", polytope_bin, workdir, data_dir=data_dir, extra_config=config)
        trial_servers.append(server)
        server.start()
        epochs.append(Epoch(server, started))
        return server

    def log_lines_about(request_id, limit=30):
        """Lines of every server log of the trial that mention the request."""
        lines = []
        for index, epoch in enumerate(epochs):
            try:
                text = epoch.server.log_path.read_text(errors="replace")
            except OSError:
                continue
            lines += [f"[server {index}] {line}" for line in text.splitlines() if request_id in line]
        return "\n".join(lines[-limit:]) or "(no log line mentions it)"

    def schedule():
        """The servers' lifetimes, in seconds since the trial started."""
        return ", ".join(
            f"server {index} {epoch.started - t0:.2f}–" + (f"{epoch.killed - t0:.2f} killed" if epoch.killed else "(last)")
            for index, epoch in enumerate(epochs)
        )

    def killed_epochs_running_at(moment):
        """The killed servers that may have been running at `moment` (a server time)."""
        return [e for e in epochs if e.killed is not None and e.started - SLACK <= moment <= e.killed + SLACK]

    def fail(request_id, text):
        changes = history.get(request_id, {}).get("history", [])
        changes = ", ".join(f"{c['status']} {_parse_time(c['at']) - t0:.2f}" for c in changes) or "(not read yet)"
        pytest.fail(
            f"{tag}\nrequest {request_id}: {text}\naccepted by server {load.accepted_at.get(request_id)}; "
            f"schedule (s): {schedule()}\nits status history (s): {changes}\n"
            f"log lines about it:\n{log_lines_about(request_id)}",
            pytrace=False,
        )

    load = Load()
    server = start()
    with load.lock:
        load.url, load.epoch = server.url, 0
    load.up.set()
    threads = [threading.Thread(target=_submitter, args=(load, "echo", random.Random(f"{seed}-echo-{i}"), seed)) for i in range(3)]
    threads.append(threading.Thread(target=_submitter, args=(load, "slow", random.Random(f"{seed}-slow"), seed)))
    threads += [threading.Thread(target=_poller, args=(load, random.Random(f"{seed}-poll-{i}"))) for i in range(2)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    try:
        for _ in range(kills):
            time.sleep(_kill_delay(rng))
            load.up.clear()
            with load.lock:
                load.url = None
            server.kill()
            epochs[-1].killed = time.time()
            time.sleep(rng.uniform(0.0, 0.3))
            server = start()
            with load.lock:
                load.url, load.epoch = server.url, len(epochs) - 1
            load.up.set()
        time.sleep(rng.uniform(0.3, 2.0))  # load on the last server too
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), f"{tag} a load generator thread did not stop"

    accepted = dict(load.accepted)
    print(f"{tag} accepted {len(accepted)} requests "
          f"({sum(e.kind == 'slow' for e in accepted.values())} slow), {load.unanswered_posts} POSTs unanswered")
    if not accepted:
        pytest.fail(f"{tag} the server accepted no request; schedule (s): {schedule()}", pytrace=False)
    if load.violations:
        first = re.search(UUID_RE, load.violations[0])
        pytest.fail(
            f"{tag} during the load:\n" + "\n".join(load.violations[:20]) + f"\nschedule (s): {schedule()}"
            + (f"\nlog lines about {first.group(0)}:\n{log_lines_about(first.group(0))}" if first else ""),
            pytrace=False,
        )

    api = Api(server, DEMO)
    load_done = time.monotonic()

    # 1. Every accepted request reaches a final state (its lease must expire first).
    deadline = time.monotonic() + FINAL_TIMEOUT
    while True:
        listed = {entry["id"]: entry for entry in api.list_requests()}
        pending = [rid for rid in accepted if rid not in listed or listed[rid]["status"] not in ("processed", "failed")]
        if not pending:
            break
        missing = [rid for rid in pending if rid not in listed]
        if missing:
            fail(missing[0], f"accepted (202) but missing from the request list ({len(missing)} such requests)")
        if time.monotonic() > deadline:
            entry = listed[pending[0]]
            fail(pending[0], f"still {entry['status']} {FINAL_TIMEOUT:.0f} s after the last restart "
                             f"({len(pending)} requests not final), attempts {entry['attempts']}: {entry['user_message']!r}")
        time.sleep(0.2)

    drained = time.monotonic()
    history.update(
        (entry["id"], entry)
        for entry in api.get("/telemetry/v1/requests", params={"user": "demo", "limit": 10000}).json()["message"]
    )
    staged = {}
    for path in (data_dir / "staging").iterdir():
        match = STAGED_NAME_RE.fullmatch(path.name)
        if match:
            staged.setdefault(match.group(1), {})[int(match.group(2))] = path.stat()

    spurious_requeues = []
    counts = {"processed": 0, "failed": 0, "retried": 0}
    for request_id, expected in accepted.items():
        entry = listed[request_id]
        attempts = entry["attempts"]
        if entry["user_request"] != expected.text:
            fail(request_id, f"stored as {entry['user_request']!r}, sent as {expected.text!r}")

        # 2. Polls agree with the list, and nothing seen finished before a crash changed.
        response = api.get(f"/api/v1/requests/{request_id}")
        if response.status_code == 404:
            fail(request_id, f"accepted (202), listed as {entry['status']}, but a poll answers 404: {response.text}")
        wanted = 303 if entry["status"] == "processed" else 400
        if response.status_code != wanted:
            fail(request_id, f"listed as {entry['status']} but a poll answers {response.status_code}: {response.text}")
        if load.seen_final.get(request_id, wanted) != wanted:
            fail(request_id, f"a poll answered {load.seen_final[request_id]} before a crash, now {wanted}")

        # 3. The attempt bound, checked against the full status history.
        if attempts > max_attempts:
            fail(request_id, f"ran {attempts} times, above max-attempts {max_attempts}")
        statuses = [change["status"] for change in history[request_id]["history"]]
        starts = [_parse_time(change["at"]) for change in history[request_id]["history"] if change["status"] == "processing"]
        if len(starts) != attempts:
            fail(request_id, f"attempts is {attempts} but the history has {len(starts)} starts: {statuses}")
        legal = re.fullmatch(r"waiting queued (processing queued )*processing (processed|failed)", " ".join(statuses))
        if not legal or statuses[-1] != entry["status"]:
            fail(request_id, f"impossible status history for a request that ends {entry['status']}: {statuses}")
        # Each retry must come from a kill: the attempt before it started in a server
        # that was then killed. Otherwise a live worker lost its lease (a stall longer
        # than lease - heartbeat): not wrong, but worth knowing.
        for start_time in starts[:-1] + (starts[-1:] if entry["status"] == "failed" else []):
            if not killed_epochs_running_at(start_time):
                spurious_requeues.append(request_id)
        counts["retried"] += attempts > 1

        # 4. Failed only after using up every attempt on a dead worker.
        if entry["status"] == "failed":
            counts["failed"] += 1
            if attempts != max_attempts or GIVING_UP not in entry["user_message"]:
                fail(request_id, f"failed after {attempts} of {max_attempts} attempts: {entry['user_message']!r}")
            continue

        # 5. Processed: the exact content, from the staged file of its last attempt.
        counts["processed"] += 1
        download = api.get(response.headers["Location"])
        if download.status_code != 200 or not expected.matches(download.content):
            fail(request_id, f"download answered {download.status_code} with {len(download.content)} bytes "
                             f"{download.content[:80]!r}...; expected the {expected.kind} result of {expected.size} bytes "
                             f"for {expected.text!r}")
        files = staged.get(request_id, {})
        if attempts not in files or files[attempts].st_size != expected.size:
            fail(request_id, f"processed after {attempts} attempts but staging holds "
                             f"{ {f'{request_id}.{k}': s.st_size for k, s in files.items()} }, not {request_id}.{attempts} "
                             f"of {expected.size} bytes")

    # 6. No request ran twice to completion: every other staged file of an accepted
    # request belongs to an earlier attempt that a kill cut short after it had staged.
    for request_id, files in staged.items():
        if request_id not in accepted:
            continue  # its POST died with the server; checked below
        attempts = listed[request_id]["attempts"]
        starts = [_parse_time(c["at"]) for c in history[request_id]["history"] if c["status"] == "processing"]
        for attempt, stat in files.items():
            if attempt == attempts and listed[request_id]["status"] == "processed":
                continue
            if not 1 <= attempt <= attempts:
                fail(request_id, f"staging holds {request_id}.{attempt} but the request has {attempts} attempts")
            if not any(stat.st_mtime <= epoch.killed + SLACK for epoch in killed_epochs_running_at(starts[attempt - 1])):
                fail(request_id, f"attempt {attempt} staged {request_id}.{attempt} at {stat.st_mtime:.2f} although "
                                 f"the process that ran it was not killed before: two attempts ran to completion")

    # 7. Requests nobody was promised exist only for POSTs that died with the server.
    unknown = [rid for rid in listed if rid not in accepted]
    assert len(unknown) <= load.unanswered_posts, (
        f"{tag} {len(unknown)} requests in the store were never answered 202, "
        f"but only {load.unanswered_posts} POSTs went unanswered: {unknown[:5]}"
    )

    if spurious_requeues:
        warnings.warn(
            f"{tag} {len(spurious_requeues)} attempt(s) lost their lease without a kill "
            f"(a live worker stalled longer than lease - heartbeat), e.g. request {spurious_requeues[0]}"
        )
    orphans = sum(len(files) for files in staged.values()) - sum(entry["status"] == "processed" for entry in listed.values())
    print(f"{tag} {counts['processed']} processed, {counts['failed']} failed at the bound, {counts['retried']} ran again, "
          f"{orphans} orphan staged file(s), {len(unknown)} request(s) from unanswered POSTs; "
          f"drained in {drained - load_done:.1f} s, checked in {time.monotonic() - drained:.1f} s")
    server.stop()  # a clean exit after the crashes
    # Passing trials leave no data behind (a failed trial's directory is kept for inspection).
    for path in (data_dir / "staging").iterdir():
        path.unlink()
