"""Benchmark 4, download throughput: a staged 1 GiB result downloaded with curl from
polytope and, as the baseline, the same file from nginx with sendfile, alternately."""

from .nginx import Nginx
from .processes import command_output, log
from .report import figure, med, num, status_of, table
from .server import GIB, CpuMeter, Server, submit, wait_finished

NAME = "download"
TITLE = "4. Download throughput against nginx"
SUMMARY = "4. download throughput of a staged 1 GiB result against nginx"


def curl_speed(url, pids, auth):
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{speed_download}"]
    if auth:
        cmd += ["-u", "demo:demo"]
    with CpuMeter(pids) as meter:
        out = command_output(cmd + [url]).split()
    code, size, speed = int(out[0]), int(float(out[1])), float(out[2])
    if code != 200 or size != GIB:
        raise RuntimeError(f"curl {url}: status {code}, {size} bytes")
    return {"mbps": speed / 1e6, **meter.as_dict()}


def run(ctx, section):
    polytope_runs, nginx_runs = [], []
    with Server(ctx, "download") as server:
        server.start()
        request_id, path = submit(server.port, f"datasource: dummy\nsize: {GIB}")
        download, _ = wait_finished(server.port, path, sleep=0.02)
        if download is None:
            raise RuntimeError("the dummy request failed")
        staged = sorted((server.data_dir / "staging").glob(f"{request_id}.*"))
        if len(staged) != 1 or staged[0].stat().st_size != GIB:
            raise RuntimeError(f"staged file of {request_id} not found or not 1 GiB: {staged}")
        staged = staged[0]
        with Nginx(ctx, staged.parent) as nginx:
            nginx.start()
            polytope_url = server.url(download)
            nginx_url = f"http://127.0.0.1:{nginx.port}/{staged.name}"
            curl_speed(polytope_url, [server.pid], True)  # warm-up, both
            curl_speed(nginx_url, nginx.pids(), False)
            for run_index in range(ctx.runs):
                ctx.wait_quiet()
                order = ["polytope", "nginx"] if run_index % 2 == 0 else ["nginx", "polytope"]
                for which in order:
                    if which == "polytope":
                        polytope_runs.append(curl_speed(polytope_url, [server.pid], True))
                    else:
                        nginx_runs.append(curl_speed(nginx_url, nginx.pids(), False))
                log(f"download run {run_index + 1}: polytope {polytope_runs[-1]['mbps']:.0f} MB/s, nginx {nginx_runs[-1]['mbps']:.0f} MB/s")
    p = med([r["mbps"] for r in polytope_runs])
    n = med([r["mbps"] for r in nginx_runs])
    ratios = [a["mbps"] / b["mbps"] for a, b in zip(polytope_runs, nginx_runs)]
    section.add(f"""
**What is measured.** One `serve --all` server (polytope.yaml) stages a 1 GiB dummy result
once. nginx (`sendfile on`, one worker, its own temporary configuration, loopback) serves the
staged file itself (`<data-dir>/staging/<id>.<attempt>`). Then, {ctx.runs} times, the result
is downloaded once from each, alternating which goes first, with
`curl -s -o /dev/null -w '%{{speed_download}}'` (`-u demo:demo` and
`GET /api/v1/downloads/<id>` for polytope), after one warm-up download from each. Status 200
and 1,073,741,824 bytes are checked. MB/s = 10^6 bytes/s as curl reports it.
""")
    section.add("**Results** (median over runs, min–max in brackets):\n\n" + table(
        ["polytope MB/s", "nginx MB/s", "ratio polytope / nginx (median of runs)", "ratio of medians"],
        [[figure([r["mbps"] for r in polytope_runs]), figure([r["mbps"] for r in nginx_runs]), figure(ratios, 3), num(p / n, 3)]],
    ))
    section.add("Raw runs:\n\n" + table(
        ["run", "polytope MB/s", "nginx MB/s", "ratio", "polytope cores", "nginx cores", "curl cores (polytope / nginx)", "other cores (polytope / nginx)"],
        [[i, num(a["mbps"]), num(b["mbps"]), num(a["mbps"] / b["mbps"], 3), num(a["server_cores"], 2), num(b["server_cores"], 2),
          f"{num(a['client_cores'], 2)} / {num(b['client_cores'], 2)}", f"{num(a['other_cores'], 2)} / {num(b['other_cores'], 2)}"]
         for i, (a, b) in enumerate(zip(polytope_runs, nginx_runs), 1)],
    ))
    section.row("4. Download vs nginx (1 GiB, curl)", f"{num(p)} MB/s = {num(p / n, 2)} × nginx", "≥ 0.9 × nginx", status_of(p / n >= 0.9), f"nginx sendfile: {num(n)} MB/s")
