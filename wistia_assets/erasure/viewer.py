"""The viewer of an erasure request, as keyed hashes only.

The raw e-mail or visitor key is hashed the moment it is read (`Hasher.subject`) and never kept:
only HMAC-SHA256 hex digests with Silver's key travel further (erasure records, Dagster runs,
log lines). Visitor keys hash exactly as Silver's `visitor_hash` (`transforms/pii.keyed_hash`:
the stripped value), so a Silver row is found by its column. E-mail addresses are not in Silver;
they hash lower-cased (`Jane@Example.com` is the same person as `jane@example.com`).

A raw record is the viewer's when its `visitor_key` hashes to one of theirs, or when it carries
one of their e-mail addresses: the `email` field, `conversion_data` (the lead form's fields, or
its text in the oldest payloads) and an address inside `embed_url` (landing pages that echo it in
the query string, percent-encoded or not). Lines that are not JSON objects (the quarantine keeps
those) are searched as text for the same two things.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from wistia_assets.settings import ConfigError

EMAIL = "email"
VISITOR_KEY = "visitor_key"
KINDS = (EMAIL, VISITOR_KEY)

# An address as RFC 5321/6531 allow them in practice (non-ASCII letters included: the sandbox's
# `lukas.garcía17@example.com` is one); 254 is the length limit.
_EMAIL_SHAPE = re.compile(r"^[\w.%+\-'!#$&*/=?^`{|}~]+@[\w\-]+(\.[\w\-]+)*\.[^\W\d_]{2,}$")
_EMAIL_IN_TEXT = re.compile(r"[\w.%+\-']+(?:@|%40)[\w\-]+(?:\.[\w\-]+)*")
# Wistia's visitor keys are printable tokens without spaces (`v20250312_2f6c…`).
_VISITOR_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,256}$")
_VISITOR_KEY_IN_TEXT = re.compile(r'"visitor_key"\s*:\s*"([^"\\]{1,256})"')


def normalize_email(value: str) -> str:
    """The address as hashed; raises ConfigError (never echoing the value) when it is not one."""
    text = (value or "").strip()
    if not text:
        raise ConfigError("--email is empty: give the viewer's e-mail address")
    if len(text) > 254 or not _EMAIL_SHAPE.match(text):
        raise ConfigError("--email is not an e-mail address (expected name@domain.tld)")
    return text.lower()


def normalize_visitor_key(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ConfigError("--visitor-key is empty: give the viewer's Wistia visitor_key")
    if not _VISITOR_KEY_SHAPE.match(text):
        raise ConfigError(
            "--visitor-key is not a Wistia visitor key (printable characters, no spaces, "
            "at most 256)"
        )
    return text


@dataclass(frozen=True)
class Hasher:
    """HMAC-SHA256 hex with the deployment's hash key (the one Silver's visitor_hash uses)."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("the hash key must be non-empty bytes")

    def __call__(self, text: str) -> str:
        return _hmac_hex(self.key, text)

    def subject(self, kind: str, raw: str) -> str:
        """Validate and hash the request's value; the only place the raw value is handled."""
        if kind == EMAIL:
            return self(normalize_email(raw))
        if kind == VISITOR_KEY:
            return self(normalize_visitor_key(raw))
        raise ValueError(f"unknown kind {kind!r}")


@lru_cache(maxsize=262_144)
def _hmac_hex(key: bytes, text: str) -> str:
    # Cached: a viewer's key repeats on every one of their events, and most visitors come back.
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def emails_in(record: dict[str, Any]) -> Iterator[str]:
    """Every e-mail address a raw event record carries, lower-cased."""
    email = record.get("email")
    if isinstance(email, str) and email.strip():
        yield email.strip().lower()
    conversion = record.get("conversion_data")
    if isinstance(conversion, dict):
        texts: Iterable[Any] = conversion.values()
    else:
        texts = [conversion]
    for text in (*texts, record.get("embed_url")):
        if isinstance(text, str) and ("@" in text or "%40" in text.lower()):
            yield from _emails_in_text(text)


def _emails_in_text(text: str) -> Iterator[str]:
    for found in _EMAIL_IN_TEXT.findall(text):
        yield unquote(found).strip().lower()


def visitor_key_of(record: dict[str, Any]) -> str | None:
    key = record.get("visitor_key")
    if isinstance(key, str) and key.strip():
        return key.strip()
    return None


@dataclass
class Viewer:
    """The hashes of one or more erased viewers: their visitor keys and e-mail addresses."""

    hasher: Hasher
    visitor_hashes: set[str] = field(default_factory=set)
    email_hashes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.visitor_hashes or self.email_hashes)

    def match(self, record: Any) -> tuple[bool, str | None]:
        """(the record is the viewer's, the hash of its visitor key when that is not yet one of
        theirs: a key seen with their e-mail, which the caller adds to the list)."""
        if not isinstance(record, dict):
            return False, None
        key = visitor_key_of(record)
        key_hash = self.hasher(key) if key else None
        if key_hash is not None and key_hash in self.visitor_hashes:
            return True, None
        if self.email_hashes and any(
            self.hasher(email) in self.email_hashes for email in emails_in(record)
        ):
            return True, key_hash
        return False, None

    def match_line(self, line: bytes) -> tuple[bool, str | None]:
        """`match` for one NDJSON line; a line that is not a JSON object is searched as text."""
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            return self.match(record)
        return self.match_text(line.decode("utf-8", errors="replace")), None

    def match_text(self, text: str) -> bool:
        keys = _VISITOR_KEY_IN_TEXT.findall(text)
        if any(self.hasher(k.strip()) in self.visitor_hashes for k in keys):
            return True
        if self.email_hashes and ("@" in text or "%40" in text.lower()):
            return any(self.hasher(e) in self.email_hashes for e in _emails_in_text(text))
        return False
