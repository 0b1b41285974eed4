"""Hosts on one LAN, made of Linux network namespaces (root and iproute2 needed).

Each host is a namespace `<prefix>-<host>` with loopback and one veth link `eth0`, whose
other end is attached to a bridge in the namespace `<prefix>-lan`; the hosts share nothing
but that network. Used by the multi-host test (Tests/EndToEnd/test_multi_host.py) and the
scale-out benchmark (scripts/benchsuite/scaleout.py).

    lan = Lan("pt1234", {"db": 1, "front": 2, "w1": 3})
    lan.create()
    lan.popen("db", ["postgres", ...])        # a process on a host
    with lan.inside("front"):                 # this thread's sockets on a host
        requests.get(f"http://{lan.address('db')}:5432/")
    lan.destroy()                             # kills what runs there, removes the namespaces
"""

import contextlib
import ctypes
import os
import shutil
import subprocess

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _ip(*args):
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


class Lan:
    """Network namespaces `<prefix>-<host>` joined by a bridge in `<prefix>-lan`."""

    def __init__(self, prefix, hosts, subnet="10.77.0"):
        self.prefix = prefix
        self.hosts = dict(hosts)  # host name -> last byte of its address
        self.subnet = subnet

    @staticmethod
    def unavailable_reason():
        """Why namespaces cannot be made here (not root, no `ip`, or no CAP_NET_ADMIN, as in
        some containers), or None if they can: a namespace is made and removed to find out."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        if shutil.which("ip") is None:
            return "network namespaces need iproute2 (ip)"
        probe = f"netns-probe-{os.getpid()}"
        result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if result.returncode != 0:
            return f"cannot create a network namespace here: {result.stderr.strip()}"
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
        return None

    def namespace(self, host):
        return f"{self.prefix}-{host}"

    def address(self, host):
        return f"{self.subnet}.{self.hosts[host]}"

    def create(self):
        lan = self.namespace("lan")
        _ip("netns", "add", lan)
        _ip("-n", lan, "link", "add", "br0", "type", "bridge")
        _ip("-n", lan, "link", "set", "br0", "up")
        for host in self.hosts:
            namespace = self.namespace(host)
            _ip("netns", "add", namespace)
            _ip("-n", lan, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("-n", lan, "link", "set", host, "master", "br0", "up")
            _ip("-n", namespace, "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")

    def destroy(self):
        """Kills every process left on the hosts and removes the namespaces (idempotent)."""
        for host in [*self.hosts, "lan"]:
            namespace = self.namespace(host)
            pids = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)

    def run(self, host, command, **kwargs):
        """subprocess.run of `command` on `host`."""
        return subprocess.run(["ip", "netns", "exec", self.namespace(host), *command], **kwargs)

    def popen(self, host, command, **kwargs):
        """subprocess.Popen of `command` on `host`; `ip netns exec` runs it in its own pid."""
        return subprocess.Popen(["ip", "netns", "exec", self.namespace(host), *command], **kwargs)

    @contextlib.contextmanager
    def inside(self, host):
        """Runs the block (this thread, and threads it starts) in `host`'s namespace."""
        original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/var/run/netns/{self.namespace(host)}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.namespace(host)} failed")
            yield
        finally:
            _libc.setns(original, CLONE_NEWNET)
            os.close(target)
            os.close(original)
