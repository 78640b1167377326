"""The Silver catalog: where analysts find the tables, and the table-wide questions checks ask.

Locally the catalog is DuckDB over the Silver Parquet (the views glob the layout). In AWS it is
the Glue Data Catalog plus Athena for the table-wide questions. Nothing is ever registered: the
data stack's tables use partition projection (dt from WistiaStartDate to today, media_id from
MediaIds), so Athena sees a partition as soon as its files land, and ignores registered
partitions anyway.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field
from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from wistia_assets.aws import aws_client
from wistia_assets.partitions import Window

log = logging.getLogger(__name__)

# What Athena says when a file it listed was deleted before it read it, which happens whenever
# another media's Silver build replaces its partition during a table-wide scan. Texts from the
# Athena troubleshooting guide ("HIVE_CURSOR_ERROR: ... AmazonS3Exception: The specified key does
# not exist") and from Athena/Trino reports (HIVE_CANNOT_OPEN_SPLIT or GENERIC_INTERNAL_ERROR with
# S3's "Status Code: 404; Error Code: NoSuchKey", "HIVE_CANNOT_OPEN_SPLIT: File does not exist").
VANISHED_FILE = re.compile(
    r"The specified key does not exist|Error Code: NoSuchKey|File does not exist"
    r"|java\.io\.FileNotFoundException",
    re.IGNORECASE,
)


class VanishedFile(RuntimeError):
    """One Athena query met a file deleted while it ran."""


class TableChangedDuringScan(RuntimeError):
    """A table-wide query kept meeting files that concurrent Silver builds replaced."""


DUPLICATES_SQL = "SELECT count(*) - count(DISTINCT event_key) AS duplicates FROM fact_events"


def play_count_sql(window: Window) -> str:
    # Identifiers are validated (date, hashed id pattern): safe to inline.
    return (
        "SELECT sum(play_count) AS plays FROM fact_media_by_date "
        f"WHERE dt = '{window.day.isoformat()}' AND media_id = '{window.media_id}'"
    )


_VISITOR_HASH = re.compile(r"^[0-9a-f]{64}$")


def viewer_partitions_sql(visitor_hashes: set[str]) -> str:
    """The fact_events partitions holding rows of these visitor hashes (an erasure's search)."""
    bad = [h for h in visitor_hashes if not _VISITOR_HASH.match(h)]
    if bad or not visitor_hashes:
        # Never repeated: it may be the value an operator meant to hash.
        raise ValueError("visitor hashes must be 64-character lower-case hex, at least one")
    listed = ", ".join(f"'{h}'" for h in sorted(visitor_hashes))  # validated: safe to inline
    return (
        "SELECT dt, media_id, count(*) AS events FROM fact_events "
        f"WHERE visitor_hash IN ({listed}) GROUP BY dt, media_id ORDER BY dt, media_id"
    )


def _partitions(rows) -> list[tuple[str, str, int]]:
    return [(str(dt), str(media_id), int(float(n))) for dt, media_id, n in rows or []]


class SilverCatalog(ConfigurableResource):
    """Interface; see DuckDbCatalog (local) and GlueAthenaCatalog (aws)."""

    def duplicate_event_keys(self) -> int | None:
        raise NotImplementedError

    def play_count(self, window: Window) -> int | None:
        raise NotImplementedError

    def viewer_partitions(self, visitor_hashes: set[str]) -> list[tuple[str, str, int]]:
        """(dt, media_id, rows) of every fact_events partition holding these visitors."""
        raise NotImplementedError


class DuckDbCatalog(SilverCatalog):
    lake_root: str = Field(description="the local lake folder")

    def _scalar(self, sql: str) -> Any:
        from wistia_assets.catalog.duckdb_catalog import MissingTable, run_query

        try:
            _, rows = run_query(self.lake_root, sql)
        except MissingTable:
            return None
        return rows[0][0] if rows else None

    def duplicate_event_keys(self) -> int | None:
        value = self._scalar(DUPLICATES_SQL)
        return None if value is None else int(value)

    def play_count(self, window: Window) -> int | None:
        value = self._scalar(play_count_sql(window))
        return None if value is None else int(value)

    def viewer_partitions(self, visitor_hashes: set[str]) -> list[tuple[str, str, int]]:
        from wistia_assets.catalog.duckdb_catalog import MissingTable, run_query

        try:
            _, rows = run_query(self.lake_root, viewer_partitions_sql(visitor_hashes))
        except MissingTable:
            return []
        return _partitions(rows)


class GlueAthenaCatalog(SilverCatalog):
    database: str
    silver_bucket: str
    workgroup: str = "primary"
    endpoint_url: str | None = None
    region: str = "us-east-1"
    query_timeout_seconds: float = 120.0
    scan_attempts: int = Field(
        default=4, description="tries of a table-wide query whose files keep being replaced"
    )
    scan_retry_wait_seconds: float = Field(
        default=5.0, description="first wait before a retry; doubles, at most 60 s"
    )

    def _client(self, service: str):
        return aws_client(service, endpoint_url=self.endpoint_url, region=self.region)

    def _query(self, sql: str) -> list[list[str | None]] | None:
        athena = self._client("athena")
        execution = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
        )["QueryExecutionId"]
        deadline = time.monotonic() + self.query_timeout_seconds
        while True:
            status = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
            state = status["Status"]["State"]
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                reason = status["Status"].get("StateChangeReason") or status["Status"].get(
                    "AthenaError", {}
                ).get("ErrorMessage", "")
                error = VanishedFile if VANISHED_FILE.search(reason) else RuntimeError
                raise error(f"Athena query {execution} {state.lower()}: {reason}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Athena query {execution} still {state} after timeout")
            time.sleep(1)
        rows = athena.get_query_results(QueryExecutionId=execution)["ResultSet"].get("Rows", [])
        # The first row is the header.
        return [[c.get("VarCharValue") for c in r["Data"]] for r in rows[1:]] or None

    def _scan(self, sql: str) -> list[list[str | None]] | None:
        """`_query`, again (a new query, never the Glue job) while files vanish under it."""
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.scan_attempts),
                wait=wait_exponential(multiplier=self.scan_retry_wait_seconds, max=60),
                retry=retry_if_exception_type(VanishedFile),
                before_sleep=before_sleep_log(log, logging.WARNING),
                reraise=True,
            ):
                with attempt:
                    return self._query(sql)
        except VanishedFile as exc:
            raise TableChangedDuringScan(
                f"the Athena check `{' '.join(sql.split())}` failed {self.scan_attempts} times "
                "because files it listed were deleted before it read them: other Silver builds "
                "were replacing their partitions during the whole-table scan. This partition's "
                "files are written; run its checks again once those builds are done "
                f"(materialize the partition again). Last error: {exc}"
            ) from None
        return None  # unreachable: Retrying either returns or raises

    def _scalar(self, sql: str) -> int | None:
        rows = self._scan(sql)
        if not rows or rows[0][0] is None:
            return None
        return int(float(rows[0][0]))

    def duplicate_event_keys(self) -> int | None:
        return self._scalar(DUPLICATES_SQL)

    def play_count(self, window: Window) -> int | None:
        return self._scalar(play_count_sql(window))

    def viewer_partitions(self, visitor_hashes: set[str]) -> list[tuple[str, str, int]]:
        return _partitions(self._scan(viewer_partitions_sql(visitor_hashes)))
