"""`wistia-assets`: the operator's command line.

    wistia-assets run [--days 7]                 ingest + build the last N days for every media
    wistia-assets rerun --date D [--media-id M]  re-materialize one day (Bronze + Silver)
    wistia-assets watermark show | set ...       inspect or override the catch-up watermarks
    wistia-assets query --smoke | "SQL"          DuckDB over the local Silver tables
    wistia-assets doctor [--date D]              read-only preflight: the API vs the settings
    wistia-assets report [--days N | --from D --to D] [--out FILE]   the media report (HTML)
    wistia-assets erase --email E | --visitor-key K [--dry-run]   erase a viewer, keep them out
    wistia-assets erase --list                   the erasure records (hashes only)
    wistia-assets retention [--dry-run]          remove Bronze older than its retention
    wistia-assets sandbox serve --port N         the built-in Wistia API on loopback HTTP
    wistia-assets deploy package-glue            build (and upload) the Glue job's artifacts
    wistia-assets deploy verify                  prove the deployed stacks on the account (once)

Every failure ends in one line on stderr that says what went wrong: exit 2 for input the user
must change (an argument, a setting, the install), 1 for a failure on the way or a bug (said as
a bug, with where its full traceback was written; `--debug` prints it). The token and the hashing
key never appear in any output.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other error here:
    the full usage block buries the one thing that was wrong."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="ingest and build the last N complete days for every media")
    p.add_argument("--days", type=int, default=7, help="how many days back from --end-date (7)")
    p.add_argument("--end-date", help="last day to build, YYYY-MM-DD (default: yesterday, UTC)")
    p.add_argument("--quiet", action="store_true", help="print the summary only")


def _add_rerun(sub) -> None:
    p = sub.add_parser("rerun", help="re-materialize one day (Bronze + Silver), replacing it")
    p.add_argument("--date", required=True, help="the day to re-run, YYYY-MM-DD")
    p.add_argument("--media-id", help="one media (default: every configured media)")
    p.add_argument("--quiet", action="store_true", help="print the summary only")


def _add_watermark(sub) -> None:
    p = sub.add_parser("watermark", help="show or override the catch-up watermarks")
    wsub = p.add_subparsers(dest="watermark_command", required=True)
    wsub.add_parser("show", help="list every watermark")
    s = wsub.add_parser("set", help="override one watermark (may move it backwards)")
    s.add_argument("--dataset", required=True, help="events or media_by_date")
    s.add_argument("--media-id", required=True)
    s.add_argument(
        "--date",
        required=True,
        help="YYYY-MM-DD: the last day considered done; the next daily tick builds the days "
        "after it",
    )
    s.add_argument("--yes", action="store_true", help="confirm the override")


def _add_query(sub) -> None:
    p = sub.add_parser("query", help="run SQL over the local Silver tables (DuckDB)")
    p.add_argument("sql", nargs="?", help="any SQL over fact_events, fact_media_by_date, dim_media")
    p.add_argument("--smoke", action="store_true", help="run the smoke queries")


def _add_doctor(sub) -> None:
    p = sub.add_parser(
        "doctor",
        help="read-only preflight of the account: does the API behave as configured?",
    )
    p.add_argument("--date", help="probe this day, YYYY-MM-DD (default: a recent day with plays)")
    p.add_argument("--media-id", help="probe this media (default: the first with plays)")


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="write the media report (HTML) for a range of days")
    p.add_argument("--days", type=int, help="the last N complete UTC days (7)")
    p.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (with --to)")
    p.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (with --from)")
    p.add_argument("--out", help="also copy the HTML to this file")


def _add_erase(sub) -> None:
    from wistia_assets.commands.erase import add_parser

    add_parser(sub)


def _add_retention(sub) -> None:
    p = sub.add_parser(
        "retention", help="remove local Bronze partitions older than WISTIA_BRONZE_RETENTION_DAYS"
    )
    p.add_argument("--dry-run", action="store_true", help="print what would go; remove nothing")


def _add_sandbox(sub) -> None:
    from wistia_assets.commands.sandbox import add_parser

    add_parser(sub)


def _add_deploy(sub) -> None:
    p = sub.add_parser("deploy", help="deployment helpers")
    dsub = p.add_subparsers(dest="deploy_command", required=True)
    g = dsub.add_parser(
        "package-glue", help="build the Glue job's script and wheels, named by the commit"
    )
    g.add_argument("--out", default="dist/glue", help="local folder; files go to <out>/<commit>/")
    g.add_argument(
        "--upload",
        help="s3://bucket/prefix; files go to <prefix>/<commit>/ (s3://<artifacts>/glue)",
    )
    g.add_argument(
        "--commit", help="name the artifacts by this commit instead of HEAD (a test build)"
    )
    from wistia_assets.commands import deploy_verify

    deploy_verify.add_parser(dsub)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wistia-assets", description=(__doc__ or "wistia-assets").split("\n\n")[0])
    p.add_argument(
        "--debug", action="store_true", help="print the traceback of an unexpected error too"
    )
    sub = p.add_subparsers(dest="command", required=True)
    for add in (
        _add_run,
        _add_rerun,
        _add_watermark,
        _add_query,
        _add_doctor,
        _add_report,
        _add_erase,
        _add_retention,
        _add_sandbox,
        _add_deploy,
    ):
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Accepted anywhere on the line (`wistia-assets run --debug` too), not only before the command.
    debug = "--debug" in argv
    args = parser().parse_args([a for a in argv if a != "--debug"])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Our own progress at INFO; libraries (alembic migrations, every httpx request, py4j) only
    # when something is wrong.
    logging.getLogger("wistia_assets").setLevel(logging.INFO)
    from wistia_assets.commands import dispatch

    try:
        return dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's contract is one clear line, not a trace
        from wistia_assets.commands.errors import bug_report, classify

        known = classify(exc)
        if known is not None:
            code, message = known
            print(f"error: {message}", file=sys.stderr)
            return code
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        print(bug_report(exc)[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
