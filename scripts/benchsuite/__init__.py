"""The benchmark suite of polytope, one module per benchmark (scripts/bench runs it).

Layout: cli (options, main loop), registry (the benchmarks in order), processes (children
that die with the runner), server (the servers under test, HTTP helpers, CPU accounting),
wrk, nginx, storefill (SQLite store files), report (figures, tables, the document), and one
module per benchmark, each with NAME, TITLE, SUMMARY and run(ctx, section).
"""
