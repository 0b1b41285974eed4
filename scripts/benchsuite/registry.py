"""The benchmarks of the suite, in the order they run and are reported. A benchmark is a
module of this package with NAME (for --only), TITLE (its section of docs/benchmarks.md),
SUMMARY (its line in --help) and run(ctx, section); adding one is adding its module and
its line here."""

from . import dispatch, download, dummy, echo, features, queue, scaleout, store, submit

BENCHMARKS = [
    submit,
    echo,
    dummy,
    download,
    store,
    dispatch,
    scaleout,
    queue,
    features,
]

NAMES = [benchmark.NAME for benchmark in BENCHMARKS]
BY_NAME = {benchmark.NAME: benchmark for benchmark in BENCHMARKS}
