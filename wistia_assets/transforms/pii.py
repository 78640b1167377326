"""Personal data handling: keyed hashes for identifiers, URLs without their personal parts.

- `keyed_hash`: HMAC-SHA256 (hex) with a secret key from the caller. Analysts keep distinct
  counts of visitors and IPs; without the key nobody can test a guessed IP against the hash. It
  runs as a Python UDF on purpose: Spark has no HMAC, and building one from `sha2` would put the
  key into the query plan as a literal, where `explain()`, error messages and Glue's Spark UI event
  logs would show it. The key lives only in the UDF's closure. Null or blank input -> null.
- `clean_url`: scheme + host + path. The query string and fragment (which can carry emails, names,
  campaign ids of one person), userinfo and port are dropped; an email address inside the path is
  replaced by `redacted`, and an IP-literal host by `ip-address` (a Silver scan for IP- or
  email-looking strings must come back empty). Anything that is not an absolute URL -> null.
- `assert_no_personal_columns`: the last guard before a write.
"""

from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.transforms.schema import FORBIDDEN_SILVER_COLUMNS

_URL = (
    r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::[0-9]*)?([^?#]*)"
)
_EMAIL = r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
_IPV4 = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"


class PersonalDataError(ValueError):
    """A DataFrame about to be written to Silver carries a column of raw personal data."""


def keyed_hash(column: Column | str, key: bytes) -> Column:
    """HMAC-SHA256 hex digest of the (stripped) string value; null for null or blank."""
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the hash key must be non-empty bytes")
    secret = bytes(key)

    def hmac_sha256(value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            return None
        return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    udf = F.udf(hmac_sha256, T.StringType())
    return udf(F.col(column) if isinstance(column, str) else column)


def _url_part(column: Column, group: int) -> Column:
    return F.regexp_extract(column, _URL, group)


def clean_host(column: Column) -> Column:
    host = F.lower(_url_part(column, 2))
    return (
        F.when(host == "", F.lit(None))
        .when(host.rlike(_IPV4) | host.startswith("["), F.lit("ip-address"))
        .otherwise(host)
    )


def clean_url(column: Column) -> Column:
    scheme = F.lower(_url_part(column, 1))
    host = clean_host(column)
    path = F.regexp_replace(_url_part(column, 3), _EMAIL, "redacted")
    return F.when(
        column.isNotNull() & (scheme != "") & host.isNotNull(),
        F.concat(scheme, F.lit("://"), host, path),
    )


def assert_no_personal_columns(frame: DataFrame) -> DataFrame:
    present = sorted(FORBIDDEN_SILVER_COLUMNS & {c.lower() for c in frame.columns})
    if present:
        raise PersonalDataError(f"refusing to write personal-data columns to Silver: {present}")
    return frame


# What "looks like" personal data in a Silver value (Java regex, evaluated by Spark): dotted quads
# (IPv4), IPv6 in full or compressed ('::') form, and e-mail addresses (also %40-encoded).
_IP_VALUE = "|".join(
    [
        r"(?<![0-9.])[0-9]{1,3}(\.[0-9]{1,3}){3}(?![0-9.])",
        r"(?i)\b([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b",
        r"(?i)([0-9a-f]{1,4}:)*:(:[0-9a-f]{1,4})+",
        r"(?i)\b[0-9a-f]{1,4}::",
    ]
)
# Version strings are dotted quads by nature (Chrome's reduced user agent reports `131.0.0.0`):
# these columns are scanned for e-mail addresses only.
VERSION_COLUMNS = frozenset({"browser_version"})


def _looks_personal(value: Column, *, ip: bool) -> Column:
    """`value` looks like an e-mail address (or, with `ip`, an IP address).

    Each regex runs only on values holding the literal its pattern cannot match without (`@` or
    `%40`; `.` or `:`): Java's regex engine tries every start position of every value, and most
    of Silver is hex hashes and words it would search in vain. The result is the same as running
    the regex on every value (what that saves: docs/BENCHMARKS.md, the personal-data scan)."""
    hit = (value.contains("@") | value.contains("%40")) & value.rlike(_EMAIL)
    if ip:
        hit = hit | ((value.contains(".") | value.contains(":")) & value.rlike(_IP_VALUE))
    return hit


def _matches(*, ip: bool):
    # Spark's higher-order functions inspect the lambda's arity: bind the flag outside it.
    return lambda element: _looks_personal(element, ip=ip)


def personal_value_checks(frame: DataFrame) -> list[Column]:
    """Per string (or array-of-string) column, an aggregate named after it: how many of its
    values look like an IP or e-mail address. For callers that fold the scan into an action of
    their own; `personal_value_counts` runs it alone."""
    checks = []
    for f in frame.schema.fields:
        col = F.col(f"`{f.name}`")
        ip = f.name not in VERSION_COLUMNS
        if isinstance(f.dataType, T.StringType):
            hit = _looks_personal(col, ip=ip)
        elif isinstance(f.dataType, T.ArrayType) and isinstance(
            f.dataType.elementType, T.StringType
        ):
            hit = F.exists(col, _matches(ip=ip))
        else:
            continue
        checks.append(F.sum(F.when(hit, 1).otherwise(0)).alias(f.name))
    return checks


def personal_value_counts(frame: DataFrame) -> dict[str, int]:
    """Per string (or array-of-string) column: how many values look like an IP or e-mail.

    Counts only, never the values: the result goes into run metadata. One Spark job.
    """
    checks = personal_value_checks(frame)
    if not checks:
        return {}
    (row,) = frame.agg(*checks).collect()  # an aggregate without grouping: exactly one row
    return {name: int(row[name]) for name in row.asDict() if row[name]}
