"""The local transform engine (Silver and Gold): local PySpark through dagster-pyspark's lazy
session (created on first use, then reused by every Spark step of the process).

Its own module because it needs the `local` extra (pyspark, dagster-pyspark), which the ECS image
leaves out: only the local deployment imports it.
"""

# No `from __future__ import annotations`: Dagster reads `ResourceDependency[...]` from the
# evaluated annotation; a string annotation is not recognised as a resource dependency.
from pathlib import Path

from dagster import ResourceDependency
from dagster_pyspark import LazyPySparkResource
from pydantic import Field

from wistia_assets.partitions import Window
from wistia_assets.resources.silver_engine import TransformEngine, fact_result_type
from wistia_assets.settings import ConfigError, Secret
from wistia_assets.storage.key_file import key_from_file
from wistia_assets.transforms.results import (
    DimMediaResult,
    ErasedRowsResult,
    FactEventsResult,
    FactMediaByDateResult,
    MediaDailyResult,
    ReportFiguresResult,
    expect,
)
from wistia_assets.transforms.session import jvm_options_for

# Dagster's annotation of `ResourceDependency` refuses the None default Dagster accepts at run
# time; the alias keeps the field's suppression and its reason on one line.
HashKey = ResourceDependency[Secret | None]


class LocalSparkEngine(TransformEngine):
    """Local PySpark (the `local` deployment)."""

    pyspark: LazyPySparkResource
    bronze_root: str
    silver_root: str
    # Settings.hash_key (WISTIA_HASH_KEY). A resource dependency rather than a config field:
    # Dagster shows config values in its UI, while a Secret prints only as asterisks.
    hash_key: HashKey = None  # pyright: ignore[reportAssignmentType]  # Dagster takes a None
    hash_key_file: str | None = Field(
        default=None,
        description="File holding the HMAC key (created with a random key on first use), used "
        "when WISTIA_HASH_KEY is not set.",
    )
    channels: dict[str, str] = Field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "spark"

    def _hash_key(self) -> bytes:
        if self.hash_key is not None:
            return self.hash_key.reveal().encode()
        if not self.hash_key_file:
            raise ConfigError(
                "no key to hash ip and visitor_key with: set WISTIA_HASH_KEY, or "
                "WISTIA_HASH_KEY_FILE for a key generated and kept in that file"
            )
        return key_from_file(Path(self.hash_key_file))

    def for_silver_steps(self, steps: int) -> "LocalSparkEngine":
        # The session is lazy and not started yet: a copy whose session starts with the JVM
        # options that pay for this many steps (`transforms/session.py`, `MANY_BUILDS`).
        config = {
            **self.pyspark.spark_config,
            "spark.driver.extraJavaOptions": jvm_options_for(steps),
        }
        return self.model_copy(update={"pyspark": LazyPySparkResource(spark_config=config)})

    def build_partition(
        self, context, table: str, window: Window
    ) -> FactEventsResult | FactMediaByDateResult:
        from wistia_assets.transforms.runner import run_partition

        return run_partition(
            self.pyspark.spark_session,
            table=table,
            dt=window.day.isoformat(),
            media_id=window.media_id,
            bronze_root=self.bronze_root,
            silver_root=self.silver_root,
            hash_key=self._hash_key() if table == "fact_events" else None,
        )

    def build_partitions(
        self, context, table: str, windows: list[Window]
    ) -> list[FactEventsResult] | list[FactMediaByDateResult]:
        # All of them in the same Spark jobs (`runner.run_partitions`).
        from wistia_assets.transforms.runner import run_partitions

        kind = fact_result_type(table)
        results = run_partitions(
            self.pyspark.spark_session,
            table=table,
            windows=[(w.day.isoformat(), w.media_id) for w in windows],
            bronze_root=self.bronze_root,
            silver_root=self.silver_root,
            hash_key=self._hash_key() if table == "fact_events" else None,
        )
        return [expect(r, kind) for r in results]  # pyright: ignore[reportReturnType]

    def erase_rows(self, context, window: Window, visitor_hashes: list[str]) -> ErasedRowsResult:
        from wistia_assets.transforms.runner import run_erase_rows

        return run_erase_rows(
            self.pyspark.spark_session,
            dt=window.day.isoformat(),
            media_id=window.media_id,
            silver_root=self.silver_root,
            visitor_hashes=visitor_hashes,
        )

    def build_dim_media(self, context) -> DimMediaResult:
        from wistia_assets.transforms.runner import run_dim_media

        return run_dim_media(
            self.pyspark.spark_session,
            bronze_root=self.bronze_root,
            silver_root=self.silver_root,
            channels=dict(self.channels),
        )

    def build_media_daily(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> MediaDailyResult:
        from wistia_assets.transforms.gold_runner import run_media_daily

        return run_media_daily(
            self.pyspark.spark_session,
            silver_root=self.silver_root,
            first=first,
            last=last,
            media_ids=tuple(media_ids),
        )

    def build_report_figures(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> ReportFiguresResult:
        from wistia_assets.transforms.gold_runner import run_report_figures

        return run_report_figures(
            self.pyspark.spark_session,
            silver_root=self.silver_root,
            first=first,
            last=last,
            media_ids=tuple(media_ids),
        )
