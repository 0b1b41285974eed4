"""wrk, the HTTP load generator of the submit and store benchmarks: a Lua script per load,
one run with the cores used during it, and its figures (requests/s, p50 and p99 latency)."""

import re
import subprocess

from .server import AUTH, CpuMeter


def lua_script(ctx, name, method, body=None):
    path = ctx.tmp / f"{name}.lua"
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "{AUTH}"']
    if body is not None:
        # A long bracket string: Lua takes it verbatim (the JSON's \n stays backslash-n).
        lines += [f"wrk.body = [==[{body}]==]", 'wrk.headers["Content-Type"] = "application/json"']
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_duration_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url, script, threads, connections, seconds, server_pid):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    with CpuMeter([server_pid]) as meter:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = {"threads": threads, "connections": connections, "seconds": seconds, "output": out}
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "99"):
        result[f"p{pct}"] = parse_duration_ms(re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    result.update(meter.as_dict())
    return result


def check_wrk(result, what):
    if result["non2xx"]:
        raise RuntimeError(f"{what}: wrk counted {result['non2xx']} non-2xx answers:\n{result['output']}")
    if result["socket_errors"]:
        raise RuntimeError(f"{what}: wrk saw socket errors ({result['socket_errors']}):\n{result['output']}")
