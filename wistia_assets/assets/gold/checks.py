"""media_daily's check, declared and evaluated side by side (as Silver's are)."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from wistia_assets.assets.silver.checks import EVERY_MEDIA_PRESENT
from wistia_assets.transforms.results import MediaDailyResult


def media_daily_specs() -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            EVERY_MEDIA_PRESENT,
            asset="media_daily",
            description="every configured media has a row for each day built (else the "
            "report shows that media's day as missing)",
        )
    ]


def media_daily_checks(result: MediaDailyResult) -> list[AssetCheckResult]:
    return [
        AssetCheckResult(
            check_name=EVERY_MEDIA_PRESENT,
            passed=not result.missing,
            severity=AssetCheckSeverity.WARN,
            metadata={"missing": MetadataValue.json(result.missing)},
        )
    ]
