"""Hadoop paths for lake keys, as Spark must be given them.

`LocalStore.uri` is a proper RFC 8089 URI (`Path.as_uri()` percent-encodes `=` in `dt=...`), but
Hadoop does not decode a path: it would look for a folder literally named `dt%3D2026-11-20`.
Spark therefore gets `file:` + the plain absolute path; S3 keys are already plain.
"""

from __future__ import annotations

from wistia_assets.storage.objects import LocalStore, ObjectStore


def spark_path(store: ObjectStore, key: str) -> str:
    if isinstance(store, LocalStore):
        return f"file://{store.path(key)}"
    return store.uri(key)
