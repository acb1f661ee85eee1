"""Run every benchmark: `python -m bench` (or `make bench`)."""

from __future__ import annotations

import argparse

from bench import audit_log, dipsample, region, review_docs, store, ui_timeline


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, default=20_000,
                        help="people in the base region (doubled for the growth figure)")
    parser.add_argument("--cases", type=int, default=1_000_000,
                        help="cases in the synthetic caseload of the dip-sample draw")
    parser.add_argument("--only", choices=("region", "dipsample", "store", "review", "timeline",
                                           "audit"),
                        help="run one benchmark (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (2,000 people, 100,000 cases) to check the "
                             "benchmarks run; 200 and 1,000 chronology rows for the review; "
                             "100,000 audit entries")
    args = parser.parse_args()
    if args.only in (None, "region"):
        region.report(2_000 if args.quick else args.people)
    if args.only in (None, "dipsample"):
        dipsample.report(100_000 if args.quick else args.cases)
    if args.only in (None, "store"):
        store.report(2_000 if args.quick else args.people)
    if args.only in (None, "review"):
        if args.quick:
            review_docs.report(200, 1_000)
        else:
            review_docs.report()
    if args.only in (None, "timeline"):
        ui_timeline.report()
    if args.only in (None, "audit"):
        audit_log.report(100_000 if args.quick else 1_000_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
