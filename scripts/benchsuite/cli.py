"""Command line of the benchmark suite: the options, the main loop over the selected
benchmarks (each one's failure is reported in its section, the others still run), and the
writing of docs/benchmarks.md. Measures nothing itself; see registry.py for the benchmarks."""

import argparse
import os
import shutil
import signal
import tempfile
import time
import traceback
from pathlib import Path

from .processes import log, stop_all_children, terminate
from .registry import BENCHMARKS, BY_NAME, NAMES
from .report import Section, machine_info, write_document
from .server import REPO, Context

DESCRIPTION = """Benchmark suite of polytope: measures the service and writes docs/benchmarks.md.

Run it through scripts/bench (which installs the tools and builds the release binary).
Python 3 standard library only; the load comes from wrk, curl, dd, cat and nginx.

Benchmarks (names for --only):
{benchmarks}

Every server is started by this script on a free loopback port with its own temporary data
directory and a generated configuration (polytope.yaml plus overlays), and stopped with
SIGTERM at the end, also on failure.
"""


# The most the benchmarks that write large files (1 GiB dummies and downloads, copies of a
# 1.15 GB store) held at once in a full run, with room to spare: about 18 GB was seen.
LARGE_FILE_BENCHMARKS = {"dummy", "download", "store"}
SPACE_NEEDED = 25 * 10**9


def space_shortage(selected, quick):
    """Why the selected benchmarks would run out of disk space under the temporary directory
    (with the leftovers of interrupted runs, which are the usual cause); None when there is room."""
    if quick or not LARGE_FILE_BENCHMARKS & set(selected):
        return None
    base = Path(os.environ.get("POLYTOPE_BENCH_TMPDIR") or tempfile.gettempdir())
    free = shutil.disk_usage(base).free
    if free >= SPACE_NEEDED:
        return None
    leftovers = sorted(base.glob("polytope-bench-*"))
    hint = (f"; {len(leftovers)} directories of earlier runs are there ({', '.join(str(p) for p in leftovers[:5])}"
            f"{', ...' if len(leftovers) > 5 else ''}): remove those no benchmark is using") if leftovers else ""
    return (f"{base} has {free / 1e9:.1f} GB free; the large-file benchmarks ({', '.join(sorted(LARGE_FILE_BENCHMARKS))}) "
            f"need about {SPACE_NEEDED / 1e9:.0f} GB{hint}. Set POLYTOPE_BENCH_TMPDIR to a roomier directory, or use --only.")


def main():
    description = DESCRIPTION.format(benchmarks="\n".join(f"  {b.NAME:<10}{b.SUMMARY}" for b in BENCHMARKS))
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 shorter runs per figure: a smoke check (< 3 minutes)")
    parser.add_argument("--only", help="comma-separated benchmarks to run: " + ", ".join(NAMES))
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, --quick 2)")
    parser.add_argument("--binary", default=str(REPO / ".build/release/polytope"), help="the polytope executable")
    parser.add_argument("--out", default=str(REPO / "docs/benchmarks.md"), help="the document to write")
    parser.add_argument("--log-level", default="warning", help="the servers' logging.level (default warning)")
    parser.add_argument("--quiet-threshold", type=float, default=0.3, help="cores others may use for the machine to count as idle")
    parser.add_argument("--max-quiet-wait", type=float, help="seconds to wait for an idle machine before each run (default 180, --quick 20)")
    parser.add_argument("--max-quiet-total", type=float, help="seconds to wait for an idle machine in all (default 3600, --quick 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, stores)")
    args = parser.parse_args()
    if args.max_quiet_wait is None:
        args.max_quiet_wait = 10 if args.quick else 180
    if args.max_quiet_total is None:
        args.max_quiet_total = 20 if args.quick else 3600
    selected = NAMES
    if args.only:
        selected = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in selected if name not in NAMES]
        if unknown:
            parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
        selected = [name for name in NAMES if name in selected]
    if not Path(args.binary).is_file():
        parser.error(f"{args.binary} does not exist; build it (swift build -c release --product polytope) or run scripts/bench")
    shortage = space_shortage(selected, args.quick)
    if shortage:
        parser.error(shortage)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    ctx = Context(args)
    log(f"temporary directory {ctx.tmp}; {ctx.runs} runs per figure; benchmarks: {', '.join(selected)}")
    started = time.monotonic()
    sections = []
    try:
        machine = machine_info(ctx)
        for name in selected:
            title, function = BY_NAME[name].TITLE, BY_NAME[name].run
            section = Section(name, title)
            sections.append(section)
            log(f"=== {title}")
            bench_started = time.monotonic()
            try:
                function(ctx, section)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as error:
                section.failed = f"{error}\n\n{traceback.format_exc()}"
                log(f"{title} FAILED: {error}")
            finally:
                stop_all_children()
            log(f"{title}: {time.monotonic() - bench_started:.0f} s")
        wall = time.monotonic() - started
        out = Path(args.out)
        write_document(ctx, out, machine, sections, wall, selected, NAMES)
        log(f"wrote {out} ({wall / 60:.1f} min)")
    finally:
        stop_all_children()
        if args.keep:
            log(f"kept {ctx.tmp}")
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    return 1 if any(s.failed for s in sections) else 0
