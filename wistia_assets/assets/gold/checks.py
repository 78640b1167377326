"""media_daily's check, declared and evaluated side by side (as Silver's are)."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from wistia_assets.transforms.results import MediaDailyResult


def media_daily_specs() -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            "every_media_present",
            asset="media_daily",
            description="every configured media has a row for each day built (else the "
            "report shows that media's day as missing)",
        )
    ]


def media_daily_checks(result: MediaDailyResult) -> list[AssetCheckResult]:
    return [
        AssetCheckResult(
            check_name="every_media_present",
            passed=not result.missing,
            severity=AssetCheckSeverity.WARN,
            metadata={"missing": MetadataValue.json(result.missing)},
        )
    ]
