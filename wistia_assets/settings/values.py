"""What a setting's value may be: the parsers the declarations name, and the two value types.

A parser takes the variable's text (stripped, never empty) and the variable's name, and returns
the typed value or raises `ConfigError` with a one-line message that names the variable. Nothing
here reads the environment; `declaration.py` does, for every model alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Wistia hashed ids are short lower-case alphanumerics (`e4a27b971d`). Anything else (slashes,
# dots, `=`) could escape its partition path in the lake, so it is rejected up front.
MEDIA_ID_PATTERN = re.compile(r"^[a-z0-9]{4,32}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Parse = Callable[[str, str], Any]


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


# -- parsers by kind: what a declaration names as its `parse` -------------------------------------


def text(raw: str, name: str) -> str:
    return raw


def secret(raw: str, name: str) -> Secret:
    return Secret(raw)


def path(raw: str, name: str) -> Path:
    return Path(raw)


def home_path(raw: str, name: str) -> Path:
    """A path where `~` is the user's home (read when the variable is)."""
    return Path(raw).expanduser()


def integer(lo: int, hi: int) -> Parse:
    def parse(raw: str, name: str) -> int:
        # ASCII digits only: int() would also take '1_00' and non-ASCII digits.
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise ConfigError(f"{name}={raw!r} is not an integer")
        value = int(raw)
        if not lo <= value <= hi:
            raise ConfigError(f"{name}={value} is out of range: expected {lo}..{hi}")
        return value

    return parse


def number(lo: float, hi: float) -> Parse:
    def parse(raw: str, name: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
        if not lo <= value <= hi:
            raise ConfigError(f"{name}={value} is out of range: expected {lo}..{hi}")
        return value

    return parse


def choice(choices: tuple[str, ...]) -> Parse:
    def parse(raw: str, name: str) -> str:
        value = raw.lower()
        if value not in choices:
            raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
        return value

    return parse


def media_ids(raw: str, name: str) -> tuple[str, ...]:
    return parse_media_ids(raw, source=name)


def day(raw: str, name: str) -> date:
    return parse_date(raw, source=name)


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def role_arn(raw: str, name: str) -> str:
    if not _ROLE_ARN.match(raw):
        raise ConfigError(
            f"{name}={raw!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )
    return raw


def base_url(raw: str, name: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    # Credentials are looked for first, and a value with '@' is never echoed: the error message
    # goes to logs and run metadata.
    if "@" in url or parts.query or parts.fragment:
        raise ConfigError(f"{name} must not carry credentials, a query or a fragment")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name}={url!r} is not an http(s) URL (default https://api.wistia.com/v1)"
        )
    if re.search(r"[\s\x00-\x1f\x7f]", url):
        raise ConfigError(f"{name} contains spaces or control characters")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ConfigError(f"{name}={url!r} has an invalid port") from None
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"{name} uses plain http to a non-loopback host: the token would travel "
            "unencrypted; use https"
        )
    return url


def timezone(raw: str, name: str) -> ZoneInfo:
    # ZoneInfo also takes relative paths into the tz database; only plain IANA names are meant.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", raw):
        raise ConfigError(
            f"{name}={raw!r} is not an IANA time zone name "
            "(e.g. UTC, America/New_York, Asia/Tokyo)"
        )
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}={raw!r} is not a known IANA time zone "
            "(e.g. UTC, America/New_York, Asia/Tokyo)"
        ) from None


def memory_size(raw: str, name: str) -> str:
    value = raw.lower()
    # What Spark's own parser takes for spark.driver.memory (a bare number is MiB).
    if not re.fullmatch(r"[1-9][0-9]*([kmgtp]b?)?", value):
        raise ConfigError(
            f"{name}={raw!r} is not a memory size: a whole number and a unit "
            "k, m, g or t (e.g. 2g, 1536m)"
        )
    return value


def key_attributes(raw: str, name: str) -> tuple[str, str]:
    """`pk,sk` -> ("pk", "sk"): the watermark table's partition key (the dataset) and sort key
    (the media id)."""
    names = tuple(part.strip() for part in raw.split(","))
    # DynamoDB allows more, but a key attribute named otherwise is a typo here.
    if (
        len(names) != 2
        or len(set(names)) != 2
        or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}", part) for part in names)
    ):
        raise ConfigError(
            f"{name}={raw!r}: expected two attribute names, the partition key (the "
            "dataset) then the sort key (the media id), e.g. dataset,media_id or pk,sk"
        )
    return names[0], names[1]


def channels(raw: str, name: str) -> dict[str, str]:
    """`abc123:youtube,def456:facebook` -> {media_id: channel}."""
    found: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        media_id, sep, channel = item.partition(":")
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_]*", channel.strip().lower()):
            raise ConfigError(
                f"{name} item {item!r} must read '<media_id>:<channel>' "
                "with a lower-case channel word (e.g. 'e4a27b971d:youtube')"
            )
        found[parse_media_id(media_id, source=name)] = channel.strip().lower()
    return found
