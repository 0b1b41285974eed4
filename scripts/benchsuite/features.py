"""Benchmark 9, feature extraction: (a) a point timeseries over 1,000 fields of an
octahedral O320 grid (GRIB 2 simple packing), end to end through the API (submit, long poll,
download of the CoverageJSON), against the same answer computed in the same run by decoding
every field whole with ecCodes (libeccodes through ctypes, as a client would); (b) a
1,000-vertex polygon over 50 fields; (c) the server's peak RSS."""

import ctypes
import hashlib
import json
import math
import subprocess
import time

from .processes import log
from .report import figure, med, num, percentile, status_of, table
from .server import AUTH, Server, connection, http_request, vm_hwm_kb

NAME = "features"
TITLE = "9. Features: point timeseries and polygons on O320"
SUMMARY = "9. features: O320 point timeseries over 1,000 fields through the API vs full ecCodes decode; 1,000-vertex polygon; RSS"

SAMPLE = "/usr/share/eccodes/samples/reduced_gg_pl_320_grib2.tmpl"
N = 320


def octahedral_pl(n):
    half = [20 + 4 * i for i in range(n)]
    return half + half[::-1]


def make_fields(directory, count):
    """`count` messages of 2t on O320 (12-bit simple packing), steps 0..count-1, in one file,
    written by ecCodes' grib_filter."""
    pl = octahedral_pl(N)
    points = sum(pl)
    values = ",".join(f"{250 + 30 * math.sin(i * 0.0007) + 5 * math.cos(i * 0.013):.3f}" for i in range(points))
    output = directory / "o320.grib"
    rules = directory / "o320.rules"
    lines = [
        "set date = 20250101;", "set time = 1200;", "set shortName = \"2t\";", "set bitsPerValue = 12;",
        f"set pl = {{{','.join(map(str, pl))}}};", f"set numberOfDataPoints = {points};",
        f"set longitudeOfLastGridPointInDegrees = {360 - 360 / max(pl)};", f"set values = {{{values}}};",
    ]
    lines += [f"set step = {step}; write \"{output}\";" for step in range(count)]
    rules.write_text("\n".join(lines) + "\n")
    subprocess.run(["grib_filter", str(rules), SAMPLE], check=True, capture_output=True)
    return output


def split_messages(data):
    """The GRIB 2 messages of `data` (total length at octets 9-16)."""
    messages, offset = [], 0
    while offset < len(data):
        assert data[offset:offset + 4] == b"GRIB", "not a GRIB 2 file"
        length = int.from_bytes(data[offset + 8:offset + 16], "big")
        messages.append(data[offset:offset + length])
        offset += length
    return messages


class EcCodes:
    """The few libeccodes calls a full decode needs."""

    def __init__(self):
        self.lib = ctypes.CDLL("libeccodes.so.0")
        self.lib.codes_handle_new_from_message.restype = ctypes.c_void_p
        self.lib.codes_handle_new_from_message.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        self.lib.codes_handle_delete.argtypes = [ctypes.c_void_p]
        self.lib.codes_get_size.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t)]
        self.lib.codes_get_double_array.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_double),
                                                    ctypes.POINTER(ctypes.c_size_t)]

    def array(self, message, key):
        handle = self.lib.codes_handle_new_from_message(None, message, len(message))
        try:
            size = ctypes.c_size_t(0)
            assert self.lib.codes_get_size(handle, key, ctypes.byref(size)) == 0
            values = (ctypes.c_double * size.value)()
            assert self.lib.codes_get_double_array(handle, key, values, ctypes.byref(size)) == 0
            return values
        finally:
            self.lib.codes_handle_delete(handle)


def request(port, collection, body, conn):
    """Submits, long-polls and downloads; returns (milliseconds, answer bytes)."""
    start = time.perf_counter()
    submission = json.dumps({"verb": "retrieve", "request": json.dumps(body)}).encode()
    status, response, data = http_request(port, "POST", f"/api/v1/requests/{collection}", submission, conn=conn)
    if status != 202:
        raise RuntimeError(f"submission answered {status}: {data[:300]!r}")
    path = response.getheader("Location").split("127.0.0.1", 1)[-1].split(":", 1)[-1]
    path = path[path.index("/"):]
    while True:
        status, response, data = http_request(port, "GET", path + "?wait=30", conn=conn)
        if status == 303:
            break
        if status != 202:
            raise RuntimeError(f"poll answered {status}: {data[:300]!r}")
    location = response.getheader("Location")
    status, _, answer = http_request(port, "GET", location[location.index("/api/"):], conn=conn)
    if status != 200:
        raise RuntimeError(f"download answered {status}")
    return (time.perf_counter() - start) * 1000, answer


def archive(port, data, conn):
    body = {"verb": "archive", "request": {"date": "20250101", "param": "2t"}, "url": ""}
    status, response, text = http_request(port, "POST", "/api/v1/requests/features", json.dumps(body).encode(), conn=conn)
    if status != 202:
        raise RuntimeError(f"archive request answered {status}: {text[:300]!r}")
    location = response.getheader("Location")
    path = location[location.index("/api/"):]
    conn.request("POST", path, body=data, headers={"Authorization": AUTH, "X-Checksum": hashlib.md5(data).hexdigest(), "Content-Type": "application/x-grib"})
    response = conn.getresponse()
    response.read()
    if response.status != 202:
        raise RuntimeError(f"upload answered {response.status}")
    while True:
        status, _, text = http_request(port, "GET", path, conn=conn)
        if status == 200:
            return
        if status != 202:
            raise RuntimeError(f"archiving answered {status}: {text[:300]!r}")
        time.sleep(0.1)


def star_polygon(vertices):
    """A concave 1,000-vertex ring around Europe: radius 10° ± 3° in 7 lobes."""
    return [[50 + (10 + 3 * math.sin(7 * t)) * math.sin(t), 10 + (10 + 3 * math.sin(7 * t)) * math.cos(t)]
            for t in (2 * math.pi * k / vertices for k in range(vertices))]


def run(ctx, section):
    count = 200 if ctx.quick else 1000
    n = 10 if ctx.quick else 30
    directory = ctx.new_dir("features-fields")
    log(f"features: writing {count} O320 fields with grib_filter")
    messages = split_messages(make_fields(directory, count).read_bytes())
    assert len(messages) == count
    root = directory / "archive"
    overlay = ctx.overlay("features", {
        "server": {"max-upload-size": "4G"},
        "collections": {"features": {"language": "mars", "datasources": [
            {"name": "features", "type": "features", "root": str(root), "max-fields": 10000},
            {"name": "fields", "type": "grib-archive", "root": str(root), "match": {"feature": []}},
        ]}},
    })
    eccodes = EcCodes()
    runs = []
    with Server(ctx, "features", overlays=[overlay]) as server:
        server.start()
        conn = connection(server.port, timeout=600)
        for first in range(0, count, 250):
            archive(server.port, b"".join(messages[first:first + 250]), conn)
        point = [48.85, 2.35]
        timeseries = {"date": "20250101", "time": "1200", "param": "2t",
                      "feature": {"type": "timeseries", "points": [point], "time_axis": "step",
                                  "range": {"start": 0, "end": count - 1}}}
        polygon = {"date": "20250101", "time": "1200", "param": "2t", "step": [str(s) for s in range(50)],
                   "feature": {"type": "polygon", "shape": star_polygon(1000)}}
        request(server.port, "features", timeseries, conn)  # warm-up: layouts, geometry
        for run_index in range(ctx.runs):
            ctx.wait_quiet()
            times, answer = [], None
            for _ in range(n):
                elapsed, answer = request(server.port, "features", timeseries, conn)
                times.append(elapsed)
            coverage = json.loads(answer)["coverages"][0]
            got = coverage["ranges"]["2t"]["values"]
            lat = coverage["domain"]["axes"]["latitude"]["values"][0]
            lon = coverage["domain"]["axes"]["longitude"]["values"][0]
            # Baseline: decode every field whole with ecCodes and take the point's value.
            if run_index == 0:
                lats, lons = eccodes.array(messages[0], b"latitudes"), eccodes.array(messages[0], b"longitudes")
                index = min(range(len(lats)), key=lambda i: abs(lats[i] - lat) + min((lons[i] - lon) % 360, (lon - lons[i]) % 360))
            baseline_start = time.perf_counter()
            expected = [eccodes.array(message, b"values")[index] for message in messages]
            baseline = (time.perf_counter() - baseline_start) * 1000
            if got != expected:
                raise RuntimeError(f"the API's timeseries at ({lat}, {lon}) differs from ecCodes' full decode at "
                                   f"({lats[index]}, {lons[index]}): {got[:3]} against {expected[:3]}")
            polygon_times = []
            for _ in range(max(3, n // 3)):
                elapsed, polygon_answer = request(server.port, "features", polygon, conn)
                polygon_times.append(elapsed)
            points = len(json.loads(polygon_answer)["coverages"][0]["domain"]["axes"]["composite"]["values"])
            runs.append({"p50": percentile(times, 50), "p90": percentile(times, 90), "baseline": baseline,
                         "polygon": percentile(polygon_times, 50), "points": points, "bytes": len(polygon_answer)})
            log(f"features run {run_index + 1}: timeseries p50 {runs[-1]['p50']:.1f} ms, full decode {baseline:.0f} ms, "
                f"polygon p50 {runs[-1]['polygon']:.1f} ms ({points} points)")
        conn.close()
        rss_mb = vm_hwm_kb(server.pid) / 1024
    speedup = [r["baseline"] / r["p50"] for r in runs]
    section.add(f"""
**What is measured.** {count} fields of 2t on the octahedral grid O320 (421,120 points, GRIB 2
simple packing, 12 bits; written by `grib_filter`, archived through the archive verb) in one
archive served by a `features` and a `grib-archive` datasource. (a) A timeseries at one point
(48.85, 2.35) over all {count} steps through the API: submit, long poll (`?wait=30`), download
of the CoverageJSON, {n} requests per run on one keep-alive connection after a warm-up. The
baseline, in the same run: decoding every field whole with ecCodes (libeccodes through
ctypes, `codes_get_double_array` of `values`) and taking the point's value; the answers must
be equal. (b) A concave 1,000-vertex polygon around Europe over 50 fields (steps 0–49),
p50 of {max(3, n // 3)} requests. (c) The server's peak RSS (VmHWM) at the end.

Targets (issue 11): (a) ≥ 20× faster than the full-decode baseline and p50 ≤ 50 ms; (b) ≤ 200
ms; (c) < 200 MB.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["figure", "value"],
        [
            [f"(a) timeseries over {count} fields, p50, ms", figure([r["p50"] for r in runs], 1)],
            [f"(a) timeseries over {count} fields, p90, ms", figure([r["p90"] for r in runs], 1)],
            [f"(a) baseline: full ecCodes decode of {count} fields, ms", figure([r["baseline"] for r in runs], 0)],
            ["(a) baseline / API p50", figure(speedup, 1)],
            ["(b) 1,000-vertex polygon over 50 fields, p50, ms", figure([r["polygon"] for r in runs], 1)],
            ["(b) points selected per field / answer size, bytes", f"{runs[-1]['points']} / {runs[-1]['bytes']}"],
            ["(c) server peak RSS, MB", num(rss_mb, 0)],
        ],
    ))
    p50, factor = med([r["p50"] for r in runs]), med(speedup)
    section.row("9a. O320 point timeseries through the API", f"{num(p50, 1)} ms p50 = {num(factor, 1)}× faster",
                "≥ 20× and ≤ 50 ms", status_of(factor >= 20 and p50 <= 50), f"full ecCodes decode of {count} fields, same run")
    value = med([r["polygon"] for r in runs])
    section.row("9b. 1,000-vertex polygon over 50 fields", f"{num(value, 1)} ms p50", "≤ 200 ms", status_of(value <= 200), "—")
    section.row("9c. Server peak RSS", f"{num(rss_mb, 0)} MB", "< 200 MB", status_of(rss_mb < 200), "—")
