"""Benchmark 3, 1 GiB dummy end to end: submit a 1 GiB dummy request, poll until it is
staged, download it; MB/s from the POST to the last byte, and the server's peak RSS.
Baseline: dd and cat of 1 GiB on the data directory's filesystem."""

import shutil
import subprocess
import time

from .processes import log
from .report import figure, med, num, status_of, table
from .server import AUTH, GIB, CpuMeter, Server, connection, submit, vm_hwm_kb, wait_finished

NAME = "dummy"
TITLE = "3. 1 GiB dummy end to end"
SUMMARY = "3. 1 GiB dummy end to end, with the server's peak RSS"


def stream_download(port, path, conn=None):
    """GET path, reading 1 MiB at a time into one buffer; returns (status, bytes, content-length)."""
    conn = conn or connection(port, timeout=600)
    conn.request("GET", path, headers={"Authorization": AUTH})
    response = conn.getresponse()
    length = int(response.getheader("Content-Length") or -1)
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    total = 0
    while True:
        n = response.readinto(view)
        if not n:
            break
        total += n
    return response.status, total, length


def run(ctx, section):
    runs = []
    for run_index in range(ctx.runs):
        ctx.wait_quiet()
        with Server(ctx, "dummy") as server:
            server.start()
            conn = connection(server.port, timeout=600)
            with CpuMeter([server.pid]) as meter:
                start = time.perf_counter()
                _, path = submit(server.port, f"datasource: dummy\nsize: {GIB}", conn=conn)
                download, polls = wait_finished(server.port, path, sleep=0.005, conn=conn)
                staged = time.perf_counter()
                if download is None:
                    raise RuntimeError("the dummy request failed")
                status, total, length = stream_download(server.port, download, conn=conn)
                end = time.perf_counter()
            if status != 200 or total != GIB or length != GIB:
                raise RuntimeError(f"download answered {status} with {total} bytes (Content-Length {length}), expected {GIB}")
            hwm = vm_hwm_kb(server.pid) * 1024 / 1e6
            conn.close()
            server.stop()
            shutil.rmtree(server.data_dir, ignore_errors=True)
        # Baseline: the same filesystem, page cache, no sync.
        target = ctx.tmp / "dd-baseline.bin"
        ctx.wait_quiet()
        base_start = time.perf_counter()
        subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=1024", "status=none"], check=True)
        subprocess.run(f"cat '{target}' > /dev/null", shell=True, check=True)
        base_time = time.perf_counter() - base_start
        target.unlink()
        result = {
            "seconds": end - start, "mbps": GIB / (end - start) / 1e6, "stage_seconds": staged - start,
            "download_seconds": end - staged, "rss": hwm, "polls": polls, "base_mbps": GIB / base_time / 1e6,
            **meter.as_dict(),
        }
        runs.append(result)
        log(f"dummy run {run_index + 1}: {result['mbps']:.0f} MB/s, peak RSS {hwm:.1f} MB; dd+cat {result['base_mbps']:.0f} MB/s")

    section.add(f"""
**What is measured.** A fresh `serve --all` server (polytope.yaml) for every run. One client
submits `datasource: dummy` / `size: {GIB}` (1 GiB), polls `GET /api/v1/requests/<id>` every
5 ms until the 303, then downloads the result on the same connection, reading 1 MiB at a time
into one buffer (`http.client`), and checks the byte count and `Content-Length`. The time runs
from before the POST to the last byte: the worker writing 1 GiB to staging plus the download.
MB/s = 1,073,741,824 bytes / time / 10^6. Peak RSS is the server's `VmHWM` from
`/proc/<pid>/status`, read after the download, before the server is stopped.

**Baseline** (same run, data directory's filesystem, page cache, no sync): `dd if=/dev/zero
bs=1M count=1024` to a file, then `cat file > /dev/null`, timed together.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["end to end MB/s", "seconds", "of which staging s", "download s", "server peak RSS MB", "baseline dd + cat MB/s"],
        [[figure([r["mbps"] for r in runs]), figure([r["seconds"] for r in runs], 2), figure([r["stage_seconds"] for r in runs], 2),
          figure([r["download_seconds"] for r in runs], 2), figure([r["rss"] for r in runs], 1), figure([r["base_mbps"] for r in runs])]],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "MB/s", "seconds", "staging s", "download s", "polls", "peak RSS MB", "dd + cat MB/s", "server cores", "client cores", "other cores"],
        [[i, num(r["mbps"]), num(r["seconds"], 2), num(r["stage_seconds"], 2), num(r["download_seconds"], 2), r["polls"], num(r["rss"], 1), num(r["base_mbps"]), num(r["server_cores"], 2), num(r["client_cores"], 2), num(r["other_cores"], 2)]
         for i, r in enumerate(runs, 1)],
    ))
    mbps = med([r["mbps"] for r in runs])
    rss = med([r["rss"] for r in runs])
    base = med([r["base_mbps"] for r in runs])
    section.row("3. 1 GiB dummy end to end", f"{num(mbps)} MB/s", "≥ 1,000 MB/s", status_of(mbps >= 1000), f"dd + cat: {num(base)} MB/s")
    section.row("3. 1 GiB dummy: server peak RSS", f"{num(rss, 1)} MB (max {num(max(r['rss'] for r in runs), 1)})", "< 100 MB", status_of(max(r["rss"] for r in runs) < 100), "—")
