"""The report: figures over runs (median, min–max, percentiles), Markdown tables, a
benchmark's Section (its text, tables and summary rows), the machine description, and
docs/benchmarks.md itself, which keeps the analysis written between its markers."""

import datetime
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys

from .processes import command_output
from .server import REPO

ANALYSIS_START = "<!-- analysis:start -->"
ANALYSIS_END = "<!-- analysis:end -->"
ANALYSIS_PLACEHOLDER = (
    "_No analysis yet. Write the explanations of the figures here, between the analysis markers: "
    "scripts/bench keeps this text when it rewrites the file._"
)
REFERENCE_PARAGRAPH = (
    "For comparison, the original Python server (polytope-server, with RabbitMQ as its queue), "
    "measured on this kind of machine: about 45 submits/s, an echo round trip of about 0.8 s, "
    "and about 40 MB/s for a 100 MB dummy request end to end."
)


# ---------------------------------------------------------------------------------------
# Statistics and formatting
# ---------------------------------------------------------------------------------------


def percentile(values, pct):
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def med(values):
    return statistics.median(values)


def num(value, digits=0):
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def figure(values, digits=0, unit=""):
    """median (min–max) over runs."""
    unit = f" {unit}" if unit else ""
    if len(values) == 1:
        return f"{num(values[0], digits)}{unit}"
    return f"{num(med(values), digits)}{unit} ({num(min(values), digits)}–{num(max(values), digits)})"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def status_of(met):
    return "met" if met else "**not met**"


class Section:
    def __init__(self, key, title):
        self.key = key
        self.title = title
        self.parts = []
        self.summary = []  # rows: benchmark, result, target, status, baseline
        self.failed = None

    def add(self, text):
        self.parts.append(text.strip("\n"))

    def row(self, benchmark, result, target, status, baseline):
        self.summary.append([benchmark, result, target, status, baseline])


# ---------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def machine_info(ctx):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
    df = command_output(["df", "-h", "--output=source,fstype,size,used,avail,target", str(ctx.tmp)]).strip().splitlines()[-1].split()
    status = command_output(["git", "status", "--porcelain", "--", ".", ":(exclude)docs/benchmarks.md"], cwd=REPO)
    commit = command_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO).strip() + ("-dirty" if status.strip() else "")
    binary_time = ctx.original_binary.stat().st_mtime
    newest = max((p.stat().st_mtime for p in list((REPO / "Sources").rglob("*")) + [REPO / "Package.swift"] if p.is_file()), default=0)
    stale = " — **older than the newest file in Sources/ or Package.swift: may be stale**" if newest > binary_time else ""
    return [
        ["CPU", f"{cpu} (`nproc`: {command_output(['nproc']).strip()})"],
        ["memory", f"{mem_kb / 1024 / 1024:.1f} GiB"],
        ["kernel", platform_release()],
        ["data directory filesystem", f"`{df[0]}` ({df[1]}) mounted on `{df[5]}`: {df[2]} total, {df[4]} free (temporary data under `{ctx.tmp.parent}`)"],
        ["date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")],
        ["commit", f"`{commit}`"],
        ["Swift", first_line(["swift", "--version"])],
        ["polytope binary", f"`{ctx.original_binary.relative_to(REPO) if ctx.original_binary.is_relative_to(REPO) else ctx.original_binary}` ({first_line([str(ctx.binary), '--version'])}), built {datetime.datetime.fromtimestamp(binary_time, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC{stale}"],
        ["tools", f"wrk {first_line(['wrk', '--version']).split()[1]}, {' '.join(first_line(['curl', '--version']).split()[:2])}, "
                  f"{first_line([shutil.which('nginx') or '/usr/sbin/nginx', '-v']).split(': ')[-1]}, Python {sys.version.split()[0]} (SQLite {sqlite3.sqlite_version})"],
    ]


def platform_release():
    return os.uname().release


def existing_analysis(path):
    try:
        text = path.read_text()
    except OSError:
        return None
    match = re.search(re.escape(ANALYSIS_START) + r"\n?(.*?)\n?" + re.escape(ANALYSIS_END), text, re.S)
    return match.group(1).strip() if match else None


def write_document(ctx, path, machine, sections, wall, selected, names):
    """Writes the document; `names` are all the benchmarks, `selected` those that ran."""
    analysis = existing_analysis(path) or ANALYSIS_PLACEHOLDER
    mode = "quick (`--quick`: 2 shorter runs per figure, a smoke check, not for comparisons)" if ctx.quick else f"full ({ctx.runs} runs per figure)"
    if selected != names:
        mode += f"; only {', '.join(selected)} (`--only`)"
    out = ["# Benchmarks", ""]
    out.append("<!-- Written by scripts/bench (scripts/bench.py). Edit only the Analysis section: the rest is regenerated. -->")
    out.append("")
    out.append("## Machine and build")
    out.append("")
    out.append(table(["", ""], machine + [
        ["suite", f"{mode}; wall time {wall / 60:.1f} min"],
        ["server logging", f"`logging.level: {ctx.args.log_level}` (overlay; the info level logs two lines per request)"],
        ["other load", f"before each run the suite waited for the machine to be idle (others < {ctx.args.quiet_threshold} cores): {ctx.quiet_waited:.0f} s waited in all; "
                       f"{ctx.busy_runs} run(s) started while still busy. Dirty pages are flushed (`sync`) before each run. The *other cores* columns show what else ran during each run."],
    ]))
    out += ["", "## How to reproduce", "", "```sh",
            "scripts/bench                          # installs wrk/nginx-light/curl with apt if missing, builds (release), runs everything",
            "scripts/bench --quick                  # smoke check: 2 shorter runs per figure (< 3 minutes)",
            "scripts/bench --only submit,echo       # some benchmarks: " + ", ".join(names),
            "POLYTOPE_BENCH_SKIP_BUILD=1 scripts/bench   # use .build/release/polytope as it is",
            "POLYTOPE_BENCH_TMPDIR=/data scripts/bench   # temporary data elsewhere than /tmp",
            "```", "",
            "A full run needs about 25 GB free for its temporary data (1 GiB files, copies of a 1.15 GB store); "
            "it refuses to start with less, naming the directories interrupted runs left behind.", "",
            "Every figure is the median of the runs, with the minimum and maximum in brackets. Each server is "
            "started by the script on a free loopback port with its own temporary data directory and a generated "
            "configuration (`--config polytope.yaml` plus overlays), and stopped with SIGTERM at the end.", ""]
    out += ["## Summary", ""]
    rows = []
    for section in sections:
        if section.failed:
            message = " ".join(section.failed.split("\n\nTraceback")[0].split())
            rows.append([section.title, "**failed**: " + message[:240].replace("|", "\\|"), "", "**failed**", ""])
        rows += section.summary
    out.append(table(["benchmark", "result (median)", "target", "status", "baseline (same run)"], rows))
    if ctx.notes:
        out += ["", "Problems seen during the run:", ""]
        out += [f"- {n.splitlines()[0]}" + (f" (`{' / '.join(l.strip() for l in n.splitlines()[1:4])}`)" if len(n.splitlines()) > 1 else "") for n in ctx.notes]
    out += ["", "## Reference: the original Python server", "", REFERENCE_PARAGRAPH, ""]
    out += ["## Analysis", "", ANALYSIS_START, analysis, ANALYSIS_END, ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.failed:
            out += ["**This benchmark failed:**", "", "```text", section.failed.strip(), "```", ""]
        for part in section.parts:
            out += [part, ""]
    path.write_text("\n".join(out).rstrip("\n") + "\n")
