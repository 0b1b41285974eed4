"""Child processes of the benchmark runner: every child is registered and stopped at the end,
whatever happens, and gets SIGTERM if the runner dies. Also the runner's log and small
process helpers. Measures nothing itself."""

import ctypes
import signal
import socket
import subprocess
import sys
import time

_children = []  # (Popen, label)


def _die_with_parent():
    """Runs in the child before exec: it gets SIGTERM if this runner dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(cmd, label, **kwargs):
    proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent, start_new_session=True, **kwargs)
    _children.append((proc, label))
    return proc


def stop_process(proc, label, sig=signal.SIGTERM, timeout=90):
    """SIGTERM, wait; SIGKILL only if it does not stop in time. Returns (exit code, note)."""
    note = None
    if proc.poll() is not None:
        _children[:] = [(p, l) for p, l in _children if p is not proc]
        return proc.returncode, f"{label} had exited by itself (status {proc.returncode}) before it was stopped"
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            note = f"{label} did not stop within {timeout} s of {signal.Signals(sig).name}; killed"
            proc.kill()
            proc.wait()
    _children[:] = [(p, l) for p, l in _children if p is not proc]
    return proc.returncode, note


def stop_all_children():
    for proc, label in list(_children):
        log(f"stopping {label} (pid {proc.pid})")
        stop_process(proc, label, timeout=60)


def terminate(signum, _frame):
    """Signal handler for SIGTERM and SIGHUP: unwinds, so that the children are stopped."""
    raise SystemExit(128 + signum)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def command_output(cmd, **kwargs):
    """Runs a command to its end and returns its standard output (fails on a non-zero status)."""
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
