"""The table-wide Athena checks race with other media's Silver builds, and a good partition wins.

`fact_events`' uniqueness check scans the whole table while other (date, media) Glue runs replace
their files; Athena then fails the query with S3's 404 for a file it had listed. The stand-in
Athena client fails the first queries with the texts Athena really gives (see
`wistia_assets.resources.catalog.VANISHED_FILE`), then answers. The Silver step runs with the
aws deployment's retry policy: a retry of the step would start the Glue job again, so the tests
count the builds.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from dagster import DagsterInstance, materialize

from wistia_assets.assets.silver import build_silver_assets
from wistia_assets.resources.catalog import GlueAthenaCatalog, TableChangedDuringScan
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.resources.watermarks import SqliteWatermarks
from wistia_assets.settings import Settings
from wistia_assets_tests.silver_results import by_date_result, events_result, histogram

DAY = date(2026, 11, 12)
MEDIA = "abcd1234"
# As Athena words a file deleted between listing and reading (troubleshooting guide; Trino).
VANISHED = [
    "HIVE_CURSOR_ERROR: com.amazonaws.services.s3.model.AmazonS3Exception: The specified key "
    "does not exist.",
    "HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://wistia-silver-123456789012-us-east-1/"
    "silver/wistia/fact_events/dt=2026-11-11/media_id=efgh5678/part-00000-1f.c000.snappy.parquet"
    " (offset=0, length=18614): io.trino.hdfs.s3.TrinoS3FileSystem$UnrecoverableS3OperationExcep"
    "tion: com.amazonaws.services.s3.model.AmazonS3Exception: (Service: Amazon S3; Status Code: "
    "404; Error Code: NoSuchKey; Request ID: EKWQ310403FNNWKV)",
]


class RacingAthena:
    """Fails the first `failures` queries with the given reasons, then answers `value`."""

    def __init__(self, failures: int, reasons=VANISHED, value: str = "0"):
        self.failures = failures
        self.reasons = itertools.cycle(reasons)
        self.value = value
        self.started: list[str] = []
        self.state: dict[str, tuple[str, str]] = {}

    def start_query_execution(self, QueryString: str, QueryExecutionContext, WorkGroup: str):
        execution = f"q{len(self.started)}"
        self.started.append(QueryString)
        failed = len(self.started) <= self.failures
        self.state[execution] = ("FAILED", next(self.reasons)) if failed else ("SUCCEEDED", "")
        return {"QueryExecutionId": execution}

    def get_query_execution(self, QueryExecutionId: str):
        state, reason = self.state[QueryExecutionId]
        status = {"State": state}
        if reason:
            status["StateChangeReason"] = reason
        return {"QueryExecution": {"QueryExecutionId": QueryExecutionId, "Status": status}}

    def get_query_results(self, QueryExecutionId: str):
        rows = [{"Data": [{"VarCharValue": "x"}]}, {"Data": [{"VarCharValue": self.value}]}]
        return {"ResultSet": {"Rows": rows}}


class RacingCatalog(GlueAthenaCatalog):
    """The production catalog, its Athena client replaced by the stand-in."""

    def _client(self, service: str):
        assert service == "athena"
        return ATHENA[self.workgroup]


ATHENA: dict[str, RacingAthena] = {}


def catalog_with(athena: RacingAthena, name: str) -> GlueAthenaCatalog:
    ATHENA[name] = athena
    return RacingCatalog(
        database="wistia_silver", silver_bucket="silver", workgroup=name, scan_retry_wait_seconds=0
    )


def test_a_vanished_file_is_retried_and_the_scan_answers():
    athena = RacingAthena(failures=2)
    assert catalog_with(athena, "twice").duplicate_event_keys() == 0
    assert len(athena.started) == 3
    assert len(set(athena.started)) == 1  # the same question, asked again


def test_a_scan_that_keeps_racing_fails_with_a_clear_message():
    athena = RacingAthena(failures=99)
    with pytest.raises(TableChangedDuringScan) as raised:
        catalog_with(athena, "always").duplicate_event_keys()
    assert len(athena.started) == 4  # scan_attempts
    message = str(raised.value)
    assert "failed 4 times" in message and "files it listed were deleted" in message
    assert "materialize the partition again" in message
    assert "NoSuchKey" in message or "does not exist" in message


def test_other_athena_failures_are_not_retried():
    athena = RacingAthena(failures=1, reasons=["COLUMN_NOT_FOUND: line 1:8: Column 'x'"])
    with pytest.raises(RuntimeError, match="COLUMN_NOT_FOUND") as raised:
        catalog_with(athena, "syntax").duplicate_event_keys()
    assert not isinstance(raised.value, TableChangedDuringScan)
    assert len(athena.started) == 1


class CountingEngine(TransformEngine):
    """Stands in for the Glue job: counts builds, returns a good partition's result."""

    @property
    def kind(self) -> str:
        return "glue"

    def build_partition(self, context, table: str, window):
        BUILDS.append(table)
        where = {"dt": DAY.isoformat(), "media_id": MEDIA}
        if table == "fact_media_by_date":
            return by_date_result(**where, play_count=3)
        return events_result(**where, rows=3, received_histogram=histogram({f"{DAY}T10:00": 3}))


BUILDS: list[str] = []


def materialize_window(athena: RacingAthena, name: str, tmp_path):
    settings = Settings.from_env(
        {
            "DAGSTER_DEPLOYMENT": "aws",
            "WISTIA_API_TOKEN": "t",
            "MEDIA_IDS": MEDIA,
            "BRONZE_BUCKET": "bronze",
            "SILVER_BUCKET": "silver",
            "PIPES_BUCKET": "pipes",
            "GLUE_JOB_NAME": "wistia-silver",
            "GLUE_DATABASE": "wistia_silver",
            "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key",
            "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
            "WISTIA_START_DATE": "2026-11-01",
        }
    )
    silver_facts, _ = build_silver_assets(settings)
    BUILDS.clear()
    return materialize(
        [silver_facts],
        partition_key=f"{DAY}|{MEDIA}",
        resources={
            "silver": CountingEngine(),
            "catalog": catalog_with(athena, name),
            "watermarks": SqliteWatermarks(sqlite_path=str(tmp_path / "w.sqlite")),
        },
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_the_step_passes_without_building_twice(tmp_path):
    result = materialize_window(RacingAthena(failures=1), "step-once", tmp_path)
    assert result.success
    assert BUILDS == ["fact_media_by_date", "fact_events"]
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["event_key_unique"]


def test_the_step_fails_for_good_without_a_second_glue_run(tmp_path):
    # The aws step retry policy (1 retry after 60 s) would rebuild both tables: it must not.
    result = materialize_window(RacingAthena(failures=99), "step-always", tmp_path)
    assert not result.success
    assert BUILDS == ["fact_media_by_date", "fact_events"]
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(f"fact_events {DAY}|{MEDIA}: the Athena check")
    assert "other Silver builds were replacing their partitions" in description
