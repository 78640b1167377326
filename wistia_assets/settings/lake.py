"""The local lake model: where the lake folder is, how its Bronze expires, the local hashing key
and the local Spark driver."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wistia_assets.settings import values
from wistia_assets.settings.declaration import setting
from wistia_assets.settings.values import Secret


@dataclass(frozen=True)
class LakeSettings:
    lake_root: Path = setting(
        "WISTIA_LAKE_ROOT", default="./.lake", parse=values.path, help="local lake folder"
    )
    # Local: WISTIA_HASH_KEY, else a random key kept in `hash_key_file` (outside the lake). AWS:
    # the Glue job fetches the key itself from Secrets Manager (AwsSettings.hash_key_secret_id),
    # so it never travels as a job argument.
    hash_key: Secret | None = setting(
        "WISTIA_HASH_KEY",
        parse=values.secret,
        help="local HMAC key for `ip_hash`/`visitor_hash`",
    )
    # Outside the lake on purpose: whoever gets a copy of the lake must not get the key with it
    # (with it, ip_hash over the small IPv4 space is reversible by brute force).
    hash_key_file: Path = setting(
        "WISTIA_HASH_KEY_FILE",
        default="~/.config/wistia_assets/hash_key",
        parse=values.home_path,
        help="where the local key is generated and kept when `WISTIA_HASH_KEY` is unset",
    )
    # As the data stack's BronzeRetentionDays.
    bronze_retention_days: int = setting(
        "WISTIA_BRONZE_RETENTION_DAYS",
        default="90",
        parse=values.integer(1, 730),
        help="the local lake's Bronze retention in days",
    )
    # Local Spark only (Glue sizes its own workers).
    spark_driver_memory: str = setting(
        "WISTIA_SPARK_DRIVER_MEMORY",
        default="2g",
        parse=values.memory_size,
        help="local Spark driver memory (a size Spark reads: `2g`, `1536m`)",
    )
