"""One Silver check's result, and every check's name spelled once: the specs (`checks.py`) and
the judgements (`checks.py`, `coverage_checks.py`) both use these."""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckKey, AssetCheckResult, AssetCheckSeverity, MetadataValue

DOCTOR = "run `wistia-assets doctor`"
WARN, ERROR = AssetCheckSeverity.WARN, AssetCheckSeverity.ERROR

NO_PERSONAL_DATA = "no_personal_data"
QUARANTINE_SHARE = "quarantine_share"
EVENT_KEY_UNIQUE = "event_key_unique"
RECONCILES_WITH_PLAY_COUNT = "reconciles_with_play_count"
EVENTS_COVER_PLAYS = "events_cover_plays"
RECEIVED_AT_ON_PARTITION_DAY = "received_at_on_partition_day"
NO_UNKNOWN_FIELDS = "no_unknown_fields"
ONE_ROW_PER_DATE = "one_row_per_date"
MEDIA_ID_UNIQUE = "media_id_unique"
EVERY_MEDIA_PRESENT = "every_media_present"
CHANNEL_KNOWN = "channel_known"


def check_result(
    table: str,
    name: str,
    passed: bool,
    severity: AssetCheckSeverity,
    description: str | None = None,
    **metadata: Any,
) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=table,
        check_name=name,
        passed=bool(passed),
        severity=severity,
        description=description,
        metadata={
            k: (MetadataValue.json(v) if isinstance(v, dict | list) else v)
            for k, v in metadata.items()
        },
    )


def check_key(result: AssetCheckResult) -> AssetCheckKey:
    """The asset and check a result judges. Dagster leaves both empty only on a result yielded
    from its check's own step; every result here is made by `check_result`, which names both."""
    if result.asset_key is None or result.check_name is None:
        raise ValueError("a check result outside its step must name its asset and check")
    return AssetCheckKey(result.asset_key, result.check_name)
