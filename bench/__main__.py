"""Run every benchmark: `python -m bench` (or `make bench`)."""

from __future__ import annotations

import argparse

from bench import region


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, default=20_000,
                        help="people in the base region (doubled for the growth figure)")
    parser.add_argument("--quick", action="store_true",
                        help="a small region (2,000 people) to check the benchmark runs")
    args = parser.parse_args()
    people = 2_000 if args.quick else args.people
    region.report(people)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
