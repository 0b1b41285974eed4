"""`python3 -m benchsuite` (with scripts/ on PYTHONPATH): the same as scripts/bench.py."""

import sys

from benchsuite.cli import main

sys.exit(main())
