"""The fault suite: ``make faults`` (full sizes), or ``python -m tests.faults --short``
(what ``make test`` runs). Exits with the number of scenarios that failed."""

import argparse
import os
import sys
import time

from tests.faults.scenarios import SCENARIOS, run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="smaller runs, for make test")
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], default=[])
    options = parser.parse_args()
    names = options.scenarios or list(SCENARIOS)
    size = "short" if options.short else "full"
    print(f"fault suite ({size}) on {os.cpu_count()} cores: {', '.join(names)}", flush=True)
    started = time.monotonic()
    failed = run(names, size)
    print(f"{len(names) - failed} passed, {failed} failed in {time.monotonic() - started:.0f}s")
    return failed


if __name__ == "__main__":
    sys.exit(main())
