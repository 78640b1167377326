"""The hash key and the erasure store of a deployment, as Silver and the watermarks find theirs.

Locally the key is WISTIA_HASH_KEY, else the key file the local engine hashes with (one reader
for both: `storage/key_file.py`); in AWS it is the Secrets Manager secret the Glue job reads
(WISTIA_HASH_KEY_SECRET_ID). The erasure store sits beside the watermarks:
`_state/erasures.sqlite` in the lake, or the watermark table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

from wistia_assets.erasure.records import (
    ERASURE_FILE,
    DynamoErasureStore,
    ErasureStore,
    SqliteErasureStore,
)
from wistia_assets.settings import Settings
from wistia_assets.storage.key_file import key_from_file

STATE_DIR = "_state"


def erasure_path(settings: Settings) -> Path:
    return settings.lake_root.resolve() / STATE_DIR / ERASURE_FILE


def _local_lake(settings: Settings) -> bool:
    from wistia_assets.deployments import deployment_for

    # A lake folder (with its `_state/`), rather than buckets and the watermark table.
    return deployment_for(settings).has_local_duckdb


def erasure_store(settings: Settings) -> ErasureStore:
    if _local_lake(settings):
        return SqliteErasureStore(erasure_path(settings))
    from wistia_assets.aws import aws_client
    from wistia_assets.watermarks.store import DynamoWatermarkStore

    client = aws_client(
        "dynamodb", endpoint_url=settings.aws_endpoint_url, region=settings.aws_region
    )
    # The watermark table's own key names (DDB_KEY_ATTRIBUTES, else DescribeTable).
    watermarks = DynamoWatermarkStore(settings.ddb_table, client, settings.ddb_key_attributes)
    return DynamoErasureStore(settings.ddb_table, client, watermarks.key_attributes)


def has_erasures(settings: Settings) -> bool:
    """Cheap: locally, whether the file exists (ingestion asks this on every partition)."""
    if _local_lake(settings):
        return erasure_path(settings).exists()
    return True


@overload
def hash_key(settings: Settings, *, create: Literal[True] = True) -> bytes: ...
@overload
def hash_key(settings: Settings, *, create: bool) -> bytes | None: ...
def hash_key(settings: Settings, *, create: bool = True) -> bytes | None:
    """The HMAC key Silver hashes visitor_key with; None when there is none yet and `create` is
    false (a dry run changes nothing, not even the key file)."""
    if settings.hash_key is not None:
        return settings.hash_key.reveal().encode()
    if not _local_lake(settings):
        from wistia_assets.aws import aws_client

        client = aws_client(
            "secretsmanager", endpoint_url=settings.aws_endpoint_url, region=settings.aws_region
        )
        secret = client.get_secret_value(SecretId=settings.hash_key_secret_id)
        value = secret.get("SecretBinary") or (secret.get("SecretString") or "").encode("utf-8")
        return bytes(value)
    return key_from_file(Path(settings.hash_key_file).expanduser(), create=create)
