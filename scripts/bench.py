#!/usr/bin/env python3
"""Starts the benchmark suite, the package scripts/benchsuite/ (one module per benchmark,
listed in benchsuite/registry.py). Run it through scripts/bench; `--help` lists the options."""

import sys

from benchsuite.cli import main  # scripts/ is on the path: it holds this file

if __name__ == "__main__":
    sys.exit(main())
