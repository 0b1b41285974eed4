"""nginx as a baseline: serves one directory (a staged result) with sendfile, one worker, its
own temporary configuration, on a free loopback port. Used by the download benchmark."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .processes import free_port, spawn, stop_process


class Nginx:
    def __init__(self, ctx, root):
        self.ctx = ctx
        self.root = Path(root)
        self.prefix = ctx.new_dir("nginx")
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"

    def start(self):
        self.port = free_port()
        built = subprocess.run([self.binary, "-V"], capture_output=True, text=True).stderr
        temp = "\n".join(
            f"    {kind}_temp_path {self.prefix}/{kind};"
            for kind, module in [("client_body", None), ("proxy", "proxy"), ("fastcgi", "fastcgi"), ("uwsgi", "uwsgi"), ("scgi", "scgi")]
            if module is None or f"--without-http_{module}_module" not in built
        )
        user = "user root;\n" if os.geteuid() == 0 else ""  # the data directory is private to this user
        conf = self.prefix / "nginx.conf"
        conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {self.prefix}/access.log;
{temp}
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
        location / {{ }}
    }}
}}
""")
        self.proc = spawn([self.binary, "-e", str(self.prefix / "error.log"), "-p", str(self.prefix), "-c", str(conf)], "nginx",
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(self.prefix / "stderr.log", "ab"))
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {(self.prefix / 'error.log').read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start listening")
                time.sleep(0.02)

    def pids(self):
        pids = [self.proc.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            pass
        return pids

    def stop(self):
        code, note = stop_process(self.proc, "nginx")
        if note:
            self.ctx.note(note)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
