"""Configuration from the environment: one validated, immutable object.

Every knob of the platform is an environment variable (names from the original configuration
reference, see the README's configuration table). Values are checked here, once, so a typo in
`MEDIA_IDS` or a malformed date fails at start with a message naming the variable instead of deep
inside a run. Secrets are wrapped in `Secret`, whose repr never shows the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEPLOYMENTS = ("local", "aws")

# Wistia hashed ids are short lower-case alphanumerics (`e4a27b971d`). Anything else (slashes,
# dots, `=`) could escape its partition path in the lake, so it is rejected up front.
MEDIA_ID_PATTERN = re.compile(r"^[a-z0-9]{4,32}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Two media the built-in sandbox serves when no token and no MEDIA_IDS are configured. Their names
# end in the channel abbreviations the dim_media fallback understands (`YT`, `FB`).
SANDBOX_MEDIA_IDS = ("sbx1yt7k2q", "sbx2fb9m4w")

DEFAULT_START_DATE = "2026-01-01"

# How Wistia's events endpoint reads (start_date, end_date): undocumented, so a setting that
# `wistia-assets doctor` checks (see wistia/windows.py). `inclusive` is the assumption.
WINDOW_SEMANTICS = ("inclusive", "end-exclusive", "start-exclusive", "exclusive")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


class Secret:
    """A string that never shows itself in logs, reprs or exception messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def parse_media_id(value: str, *, source: str = "media id") -> str:
    media_id = value.strip()
    if not MEDIA_ID_PATTERN.match(media_id):
        raise ConfigError(
            f"{source}: {media_id!r} is not a Wistia hashed media id "
            "(expected 4-32 lower-case letters and digits, e.g. 'e4a27b971d')"
        )
    return media_id


def parse_media_ids(value: str, *, source: str = "MEDIA_IDS") -> tuple[str, ...]:
    ids = [part for part in (p.strip() for p in value.split(",")) if part]
    if not ids:
        raise ConfigError(f"{source} is empty: give comma-separated Wistia hashed media ids")
    parsed = tuple(parse_media_id(i, source=source) for i in ids)
    duplicates = sorted({i for i in parsed if parsed.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{source} lists {', '.join(duplicates)} more than once")
    return parsed


def parse_date(value: str, *, source: str = "date") -> date:
    text = value.strip()
    if not DATE_PATTERN.match(text):
        raise ConfigError(f"{source}: {text!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: {text!r} is not a real calendar date ({exc})") from None


def _parse_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    # ASCII digits only: int() would also take '1_00' and non-ASCII digits.
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", raw):
        raise ConfigError(f"{name}={raw!r} is not an integer")
    value = int(raw)
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is out of range: expected {lo}..{hi}")
    return value


def _parse_float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is out of range: expected {lo}..{hi}")
    return value


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def _parse_role_arn(raw: str | None, name: str) -> str | None:
    if raw is not None and not _ROLE_ARN.match(raw):
        raise ConfigError(
            f"{name}={raw!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )
    return raw


def _parse_base_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    # Credentials are looked for first, and a value with '@' is never echoed: the error message
    # goes to logs and run metadata.
    if "@" in url or parts.query or parts.fragment:
        raise ConfigError("WISTIA_BASE_URL must not carry credentials, a query or a fragment")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"WISTIA_BASE_URL={url!r} is not an http(s) URL (default https://api.wistia.com/v1)"
        )
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        raise ConfigError("WISTIA_BASE_URL contains spaces or control characters")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ConfigError(f"WISTIA_BASE_URL={url!r} has an invalid port") from None
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            "WISTIA_BASE_URL uses plain http to a non-loopback host: the token would travel "
            "unencrypted; use https"
        )
    return url


def _parse_timezone(raw: str | None) -> ZoneInfo:
    name = raw or "UTC"
    # ZoneInfo also takes relative paths into the tz database; only plain IANA names are meant.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        raise ConfigError(
            f"WISTIA_ACCOUNT_TIMEZONE={name!r} is not an IANA time zone name "
            "(e.g. UTC, America/New_York, Asia/Tokyo)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"WISTIA_ACCOUNT_TIMEZONE={name!r} is not a known IANA time zone "
            "(e.g. UTC, America/New_York, Asia/Tokyo)"
        ) from None


def _parse_choice(raw: str | None, name: str, choices: tuple[str, ...], default: str) -> str:
    value = (raw or default).lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def aws_location(env: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(`AWS_ENDPOINT_URL` or None, `AWS_REGION`/`AWS_DEFAULT_REGION` or us-east-1).

    Its own function as well as fields of Settings: the transforms build S3 clients inside the
    Glue job too, which has no Settings (`aws.py`).
    """
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    region = get("AWS_REGION") or get("AWS_DEFAULT_REGION") or "us-east-1"
    return get("AWS_ENDPOINT_URL"), region


def spark_driver_memory(env: Mapping[str, str] | None = None) -> str:
    """`WISTIA_SPARK_DRIVER_MEMORY` (default 2g) as Spark's `spark.driver.memory` reads it.

    Its own function as well as a field of Settings: the test and benchmark Spark sessions need
    this one value without the rest of the configuration.
    """
    env = os.environ if env is None else env
    raw = (env.get("WISTIA_SPARK_DRIVER_MEMORY") or "").strip() or "2g"
    value = raw.lower()
    # What Spark's own parser takes for this setting (a bare number is MiB).
    if not re.fullmatch(r"[1-9][0-9]*([kmgtp]b?)?", value):
        raise ConfigError(
            f"WISTIA_SPARK_DRIVER_MEMORY={raw!r} is not a memory size: a whole number and a unit "
            "k, m, g or t (e.g. 2g, 1536m)"
        )
    return value


def _parse_key_attributes(raw: str | None) -> tuple[str, str] | None:
    """`DDB_KEY_ATTRIBUTES=pk,sk` -> ("pk", "sk"): the watermark table's partition key (the
    dataset) and sort key (the media id). Unset: read from the table (DescribeTable)."""
    if raw is None or not raw.strip():
        return None
    names = tuple(name.strip() for name in raw.split(","))
    # DynamoDB allows more, but a key attribute named otherwise is a typo here.
    if (
        len(names) != 2
        or len(set(names)) != 2
        or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}", name) for name in names)
    ):
        raise ConfigError(
            f"DDB_KEY_ATTRIBUTES={raw!r}: expected two attribute names, the partition key (the "
            "dataset) then the sort key (the media id), e.g. dataset,media_id or pk,sk"
        )
    return names[0], names[1]


def _parse_channels(raw: str | None) -> dict[str, str]:
    """`MEDIA_CHANNELS=abc123:youtube,def456:facebook` -> {media_id: channel}."""
    if not raw or not raw.strip():
        return {}
    channels: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        media_id, sep, channel = item.partition(":")
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_]*", channel.strip().lower()):
            raise ConfigError(
                f"MEDIA_CHANNELS item {item!r} must read '<media_id>:<channel>' "
                "with a lower-case channel word (e.g. 'e4a27b971d:youtube')"
            )
        channels[parse_media_id(media_id, source="MEDIA_CHANNELS")] = channel.strip().lower()
    return channels


@dataclass(frozen=True)
class Settings:
    deployment: str = "local"
    wistia_api_token: Secret | None = None
    wistia_base_url: str = "https://api.wistia.com/v1"
    wistia_timeout: float = 30.0
    media_ids: tuple[str, ...] = SANDBOX_MEDIA_IDS
    per_page: int = 100
    first_page: int = 1
    # Requests per minute for the whole account (Wistia allows 600). Each holder of a
    # `wistia_api` pool slot gets rate_limit_per_minute / wistia_pool_slots.
    rate_limit_per_minute: int = 480
    wistia_pool_slots: int = 1
    max_attempts: int = 6
    page_prefetch: int = 2
    bronze_bucket: str | None = None
    silver_bucket: str | None = None
    ddb_table: str = "WistiaWatermarks"
    # None: the table's own key schema (DescribeTable) names them.
    ddb_key_attributes: tuple[str, str] | None = None
    lake_root: Path = Path(".lake")
    start_date: date = date.fromisoformat(DEFAULT_START_DATE)
    # Local: WISTIA_HASH_KEY, else a random key kept in `hash_key_file` (outside the lake). AWS:
    # the Glue job fetches the key itself from Secrets Manager, so it never travels as a job
    # argument.
    hash_key: Secret | None = None
    hash_key_secret_id: str | None = None
    # Outside the lake on purpose: whoever gets a copy of the lake must not get the key with it
    # (with it, ip_hash over the small IPv4 space is reversible by brute force).
    hash_key_file: Path = Path("~/.config/wistia_assets/hash_key")
    # The local lake's Bronze retention (days), as the data stack's BronzeRetentionDays.
    bronze_retention_days: int = 90
    channels: dict[str, str] = field(default_factory=dict)
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    glue_job_name: str = "wistia-silver"
    glue_database: str = "wistia_silver"
    pipes_bucket: str | None = None
    athena_workgroup: str = "primary"
    alerts_topic_arn: str | None = None
    # AWS: the role the `erase_viewer` job's runs ask ECS for (the platform stack's EraseTaskRole);
    # the run task's own role may not read Bronze.
    erase_task_role_arn: str | None = None
    schedule_cron: str = "15 2 * * *"
    # Local Spark only (Glue sizes its own workers).
    spark_driver_memory: str = "2g"
    # Where the Wistia account's days start, and how the events endpoint reads its dates: both
    # undocumented, checked by `wistia-assets doctor` (see wistia/windows.py).
    account_timezone: ZoneInfo = ZoneInfo("UTC")
    events_window: str = "inclusive"

    @property
    def uses_sandbox(self) -> bool:
        """The local deployment without a token talks to the built-in sandbox API."""
        return self.deployment == "local" and self.wistia_api_token is None

    @property
    def source(self) -> str:
        return "sandbox" if self.uses_sandbox else "wistia"

    @property
    def per_slot_rate_per_minute(self) -> float:
        return self.rate_limit_per_minute / self.wistia_pool_slots

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        deployment = (get("DAGSTER_DEPLOYMENT") or "local").lower()
        if deployment not in DEPLOYMENTS:
            raise ConfigError(
                f"DAGSTER_DEPLOYMENT={deployment!r} is not one of {', '.join(DEPLOYMENTS)}"
            )
        token = get("WISTIA_API_TOKEN")
        if deployment == "aws" and token is None:
            raise ConfigError(
                "WISTIA_API_TOKEN is not set: the aws deployment always calls the real Wistia "
                "API (inject the token from Secrets Manager)"
            )
        raw_ids = get("MEDIA_IDS")
        if raw_ids is not None:
            media_ids = parse_media_ids(raw_ids)
        elif token is None and deployment == "local":
            media_ids = SANDBOX_MEDIA_IDS
        else:
            raise ConfigError(
                "MEDIA_IDS is not set: list the Wistia hashed media ids to ingest, "
                "comma-separated (e.g. MEDIA_IDS=e4a27b971d,abc123def4)"
            )
        start_date = parse_date(
            get("WISTIA_START_DATE") or DEFAULT_START_DATE, source="WISTIA_START_DATE"
        )
        if start_date > date.today():
            raise ConfigError(f"WISTIA_START_DATE={start_date} is in the future")
        hash_key = get("WISTIA_HASH_KEY")
        hash_key_secret_id = get("WISTIA_HASH_KEY_SECRET_ID")
        if deployment == "aws" and hash_key_secret_id is None:
            raise ConfigError(
                "WISTIA_HASH_KEY_SECRET_ID is not set: the aws deployment's Glue job reads the key "
                "that pseudonymises ip and visitor_key from this Secrets Manager secret"
            )
        if deployment == "aws":
            for name in ("BRONZE_BUCKET", "SILVER_BUCKET"):
                if get(name) is None:
                    raise ConfigError(
                        f"{name} is not set: the aws deployment stores the lake on S3"
                    )
        aws_endpoint_url, aws_region = aws_location(env)
        settings = cls(
            deployment=deployment,
            wistia_api_token=Secret(token) if token else None,
            wistia_base_url=_parse_base_url(get("WISTIA_BASE_URL") or "https://api.wistia.com/v1"),
            wistia_timeout=_parse_float(env, "WISTIA_TIMEOUT", 30.0, 0.1, 600.0),
            media_ids=media_ids,
            # Wistia silently cuts per_page to 100, which would make a full page look short.
            per_page=_parse_int(env, "WISTIA_PER_PAGE", 100, 1, 100),
            first_page=_parse_int(env, "WISTIA_PAGE", 1, 1, 100000),
            rate_limit_per_minute=_parse_int(env, "WISTIA_RATE_LIMIT_PER_MINUTE", 480, 1, 599),
            wistia_pool_slots=_parse_int(env, "WISTIA_POOL_SLOTS", 1, 1, 64),
            max_attempts=_parse_int(env, "WISTIA_MAX_ATTEMPTS", 6, 1, 20),
            page_prefetch=_parse_int(env, "WISTIA_PAGE_PREFETCH", 2, 1, 16),
            bronze_bucket=get("BRONZE_BUCKET"),
            silver_bucket=get("SILVER_BUCKET"),
            ddb_table=get("DDB_TABLE") or "WistiaWatermarks",
            ddb_key_attributes=_parse_key_attributes(get("DDB_KEY_ATTRIBUTES")),
            lake_root=Path(get("WISTIA_LAKE_ROOT") or ".lake"),
            start_date=start_date,
            hash_key=Secret(hash_key) if hash_key else None,
            hash_key_secret_id=hash_key_secret_id,
            hash_key_file=Path(
                get("WISTIA_HASH_KEY_FILE") or "~/.config/wistia_assets/hash_key"
            ).expanduser(),
            bronze_retention_days=_parse_int(env, "WISTIA_BRONZE_RETENTION_DAYS", 90, 1, 730),
            channels=_parse_channels(get("MEDIA_CHANNELS")),
            aws_endpoint_url=aws_endpoint_url,
            aws_region=aws_region,
            glue_job_name=get("GLUE_JOB_NAME") or "wistia-silver",
            glue_database=get("GLUE_DATABASE") or "wistia_silver",
            pipes_bucket=get("PIPES_BUCKET") or get("BRONZE_BUCKET"),
            athena_workgroup=get("ATHENA_WORKGROUP") or "primary",
            alerts_topic_arn=get("ALERTS_TOPIC_ARN"),
            erase_task_role_arn=_parse_role_arn(get("ERASE_TASK_ROLE_ARN"), "ERASE_TASK_ROLE_ARN"),
            schedule_cron=get("WISTIA_SCHEDULE_CRON") or "15 2 * * *",
            spark_driver_memory=spark_driver_memory(env),
            account_timezone=_parse_timezone(get("WISTIA_ACCOUNT_TIMEZONE")),
            events_window=_parse_choice(
                get("WISTIA_EVENTS_WINDOW"), "WISTIA_EVENTS_WINDOW", WINDOW_SEMANTICS, "inclusive"
            ),
        )
        if settings.per_slot_rate_per_minute < 1:
            raise ConfigError("WISTIA_RATE_LIMIT_PER_MINUTE / WISTIA_POOL_SLOTS is below 1/min")
        return settings
