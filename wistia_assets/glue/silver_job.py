"""AWS Glue 5.0 entry script: run one Spark build and report its result to Dagster.

One build per run, chosen by `--table`: a Silver fact partition, dim_media, an erasure's rewrite
of a fact_events partition (`--erase-visitor-hashes`), a range of Gold `media_daily` days, or the
media report's figures (the `aws` deployment's `GlueEngine` starts it for each).

Glue runs this file with Spark 3.5 / Python 3.11; the project wheel and dagster-pipes come from
`--additional-python-modules` (S3 wheels, installed on the driver and every executor; see
`wistia-assets deploy package-glue`). Dagster is not installed there: the job talks back only
through dagster-pipes (context from S3, messages to S3), started by dagster-aws's
`PipesGlueClient`, which adds `--dagster-pipes-context`/`--dagster-pipes-messages`.

Arguments (unknown ones, such as Glue's own `--JOB_NAME`, are ignored):
  --table fact_events|fact_media_by_date|dim_media|media_daily|media_report
  --dt YYYY-MM-DD --media-id <hashed id>       (the fact tables)
  --bronze-root s3://<bronze bucket>  --silver-root s3://<silver bucket>
  --hash-key-secret-id <Secrets Manager id>    (fact_events; the key never travels as an argument)
  --erase-visitor-hashes <hex>,<hex>           (fact_events only, no --bronze-root: remove those
                                               viewers' rows from the partition, rewriting it
                                               from itself, for a day whose Bronze expired;
                                               keyed hashes as Silver stores them, 64-hex each)
  --aws-region <region>                         of the job's own AWS clients (the stack sets it)
  --channels '{"<media_id>": "<channel>"}'     (dim_media)
  --from YYYY-MM-DD --to YYYY-MM-DD --media-ids <id>,<id>   (Gold: media_daily, media_report;
                                               they read and write the silver root only)

`--probe true` builds nothing: `wistia-assets deploy verify` starts the job so, to prove on the
account that Glue installs the wheels (this script imports them), that the role reads the hash
key and lists the Bronze and Silver roots, and that the driver's output reaches the job's log
group. It needs no Dagster run and no Pipes context, and prints one line.

The run's typed result (`transforms/results.py`) is sent as a Pipes custom message
`{"result": {...}}`, and only that: the Dagster step reads it back and maps it to metadata and
checks exactly as it does a local build's. Any error is logged and re-raised, so the Glue run
fails with that message and Dagster's step fails with it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)
from pyspark.sql import SparkSession

from wistia_assets.storage.layout import BRONZE_ZONE, SILVER_ZONE
from wistia_assets.transforms.gold_runner import run_media_daily, run_report_figures
from wistia_assets.transforms.results import BuildResult, to_json
from wistia_assets.transforms.runner import (
    TABLES,
    parse_visitor_hashes,
    run_dim_media,
    run_erase_rows,
    run_partition,
)
from wistia_assets.transforms.session import session_builder

log = logging.getLogger("wistia_assets.glue.silver_job")

GOLD_TABLES = ("media_daily", "media_report")
ALL_TABLES = (*TABLES, "dim_media", *GOLD_TABLES)
# Seconds between message uploads to S3; the last batch is flushed when the job closes.
MESSAGE_INTERVAL = 5.0


class JobArgumentError(ValueError):
    """The job was started with missing or contradictory arguments."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # argparse would print and sys.exit(2); an exception reaches Dagster and the Glue log.
        raise JobArgumentError(message)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    # No abbreviations: a Glue argument must never be mistaken for a prefix of one of ours.
    parser = _Parser(prog="silver_job", add_help=False, allow_abbrev=False)
    parser.add_argument("--table", required=True, choices=ALL_TABLES)
    parser.add_argument("--dt")
    parser.add_argument("--media-id")
    parser.add_argument("--bronze-root")
    parser.add_argument("--silver-root", required=True)
    parser.add_argument("--hash-key-secret-id")
    parser.add_argument("--channels", default="{}")
    parser.add_argument("--aws-region")
    parser.add_argument("--from", dest="first")
    parser.add_argument("--to", dest="last")
    parser.add_argument("--media-ids", default="")
    parser.add_argument("--erase-visitor-hashes")
    args, _unknown = parser.parse_known_args(list(argv))
    if args.erase_visitor_hashes is not None:
        if args.table != "fact_events" or not (args.dt and args.media_id):
            raise JobArgumentError(
                "--erase-visitor-hashes goes with --table fact_events, --dt and --media-id"
            )
        try:
            args.erase_visitor_hashes = parse_visitor_hashes(args.erase_visitor_hashes)
        except ValueError as exc:
            raise JobArgumentError(f"--erase-visitor-hashes: {exc}") from None
        return args
    if args.table in GOLD_TABLES:
        if not (args.first and args.last and args.media_ids):
            raise JobArgumentError(f"--table {args.table} needs --from, --to and --media-ids")
        args.media_ids = tuple(m for m in args.media_ids.split(",") if m)
        return args
    if not args.bronze_root:
        raise JobArgumentError(f"--table {args.table} needs --bronze-root")
    if args.table in TABLES and not (args.dt and args.media_id):
        raise JobArgumentError(f"--table {args.table} needs --dt and --media-id")
    if args.table == "fact_events" and not args.hash_key_secret_id:
        raise JobArgumentError("--table fact_events needs --hash-key-secret-id")
    try:
        channels = json.loads(args.channels or "{}")
    except json.JSONDecodeError as exc:
        raise JobArgumentError(f"--channels is not JSON: {exc}") from None
    if not isinstance(channels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in channels.items()
    ):
        raise JobArgumentError('--channels must be a JSON object {"<media_id>": "<channel>"}')
    args.channels = channels
    return args


def aws_region(argv: Sequence[str]) -> str | None:
    """`--aws-region`, else boto3's own chain (AWS_REGION, a profile); None when neither has one.

    Read before the full parse: the Pipes S3 client is made before the arguments are checked.
    """
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--aws-region")
    known, _ = pre.parse_known_args(list(argv))
    return known.aws_region or boto3.Session().region_name


def fetch_hash_key(secret_id: str, region: str | None, client: Any = None) -> bytes:
    """The HMAC key from Secrets Manager: the secret string's UTF-8 bytes (or its binary).

    The local deployment hashes with WISTIA_HASH_KEY's UTF-8 bytes, so one secret value gives
    the same hashes in both deployments.
    """
    if client is None:
        if not region:
            # Glue's environment names no region for boto3: without one the client fails with
            # botocore's NoRegionError, which says nothing about where the region should come from.
            raise JobArgumentError(
                "no AWS region for Secrets Manager: pass --aws-region (the platform stack's job "
                "sets it to the stack's region)"
            )
        client = boto3.client("secretsmanager", region_name=region)
    secret = client.get_secret_value(SecretId=secret_id)
    value = secret.get("SecretBinary") or (secret.get("SecretString") or "").encode("utf-8")
    if not value:
        raise ValueError(f"secret {secret_id} is empty: the hash key must not be blank")
    return bytes(value)


PROBE_LINE = "silver_job probe ok"


def probe_requested(argv: Sequence[str]) -> bool:
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--probe", default="false")
    known, _ = pre.parse_known_args(list(argv))
    return known.probe.lower() == "true"


def probe(argv: Sequence[str], s3: Any = None, secrets: Any = None) -> str:
    """What a build needs, reached without building: the installed wheels (imported above), the
    hash key (read, never shown), one listing of each root's zone. Returns the line printed."""
    from importlib import metadata

    pre = _Parser(prog="silver_job --probe", add_help=False, allow_abbrev=False)
    for name in ("--bronze-root", "--silver-root", "--hash-key-secret-id"):
        pre.add_argument(name, required=True)  # the job's default arguments carry all three
    args, _ = pre.parse_known_args(list(argv))
    region = aws_region(argv)
    s3 = s3 or boto3.client("s3", region_name=region)
    fetch_hash_key(args.hash_key_secret_id, region, client=secrets)
    listed = []
    for root, zone in ((args.bronze_root, BRONZE_ZONE), (args.silver_root, SILVER_ZONE)):
        if not root.startswith("s3://"):
            raise JobArgumentError(f"--probe lists S3 roots; got {root!r}")
        bucket = root.removeprefix("s3://").split("/", 1)[0]
        s3.list_objects_v2(Bucket=bucket, Prefix=f"{zone}/", MaxKeys=1)
        listed.append(bucket)

    def installed(dist: str) -> str:
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:  # run from a source tree (tests in-process)
            return f"{dist} not installed as a wheel"

    line = (
        f"{PROBE_LINE}: {installed('wistia_assets_glue')}, {installed('dagster-pipes')}, "
        f"hash key read, listed {', '.join(listed)}"
    )
    print(line, flush=True)
    return line


def run(spark: SparkSession, args: argparse.Namespace) -> BuildResult:
    if args.table in GOLD_TABLES:
        build = run_media_daily if args.table == "media_daily" else run_report_figures
        return build(
            spark,
            silver_root=args.silver_root,
            first=args.first,
            last=args.last,
            media_ids=args.media_ids,
        )
    if args.erase_visitor_hashes is not None:
        return run_erase_rows(
            spark,
            dt=args.dt,
            media_id=args.media_id,
            silver_root=args.silver_root,
            visitor_hashes=args.erase_visitor_hashes,
        )
    if args.table == "dim_media":
        return run_dim_media(
            spark,
            bronze_root=args.bronze_root,
            silver_root=args.silver_root,
            channels=args.channels,
        )
    hash_key = (
        fetch_hash_key(args.hash_key_secret_id, args.aws_region or aws_region([]))
        if args.table == "fact_events"
        else None
    )
    return run_partition(
        spark,
        table=args.table,
        dt=args.dt,
        media_id=args.media_id,
        bronze_root=args.bronze_root,
        silver_root=args.silver_root,
        hash_key=hash_key,
    )


def main(argv: Sequence[str] | None = None) -> BuildResult | None:
    """Run the job. `argv` defaults to `sys.argv[1:]`; dagster-pipes reads its own two
    arguments from `sys.argv`, as on Glue."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    if probe_requested(argv):
        probe(argv)
        return None
    s3 = boto3.client("s3", region_name=aws_region(argv))
    with open_dagster_pipes(
        context_loader=PipesS3ContextLoader(client=s3),
        message_writer=PipesS3MessageWriter(client=s3, interval=MESSAGE_INTERVAL),
        params_loader=PipesCliArgsParamsLoader(),
    ) as pipes:
        try:
            args = parse_args(argv)
            spark = session_builder().appName("wistia-silver").getOrCreate()
            result = run(spark, args)
        except Exception as exc:
            # The message names the table and partition; the traceback goes to the Glue log.
            log.exception("silver job failed: %s", exc)
            pipes.log.error(f"silver job failed: {type(exc).__name__}: {exc}")
            raise
        pipes.log.info(
            f"{result.table}: {result.rows} rows, "
            f"{getattr(result, 'duplicates_removed', 0)} duplicates removed, "
            f"{getattr(result, 'quarantined', 0)} quarantined -> {result.location}"
        )
        pipes.report_custom_message({"result": to_json(result)})
        return result


if __name__ == "__main__":
    main()
