"""`python -m reliability [--quick] [--case NAME ...] [--list] [--keep] [--json PATH]`."""

from __future__ import annotations

import argparse
import os
import sys

# Before anything imports wistia_assets (whose import builds the definitions from the
# environment): the harness never talks to a real Wistia account or AWS.
for _name in ("WISTIA_API_TOKEN", "MEDIA_IDS", "BRONZE_BUCKET", "SILVER_BUCKET", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ["DAGSTER_DEPLOYMENT"] = "local"
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the representative subset only")
    parser.add_argument("--case", action="append", default=[], help="run only this case")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep each case's temporary folder")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args(argv)

    from reliability.report import print_results, write_json
    from reliability.suite import run_all, select

    cases = select(names=args.case, quick=args.quick)
    if args.list:
        for c in cases:
            print(f"{c.name:<28} {'quick ' if c.quick else '      '}{c.title}")
        return 0
    results = run_all(cases, keep=args.keep, progress=True)
    print_results(results)
    if args.json:
        write_json(results, args.json)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
