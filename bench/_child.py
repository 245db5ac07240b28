"""Run the ``sor`` command and report this process's peak resident memory (KiB) to a file."""

import os
import resource
import sys

from opensor.cli.main import cli

try:
    cli(args=sys.argv[1:], prog_name="sor", standalone_mode=True)
finally:
    peak_file = os.environ.get("SOR_BENCH_PEAK_FILE")
    if peak_file:
        with open(peak_file, "w") as stream:
            stream.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
