"""One small object-store interface with a local-folder and an S3 implementation.

Everything that touches the lake outside Spark goes through `ObjectStore`, so the Bronze writers,
manifests, the Glue entry script and the tests run unchanged on a laptop folder or a bucket.

The one promise both implementations keep: an object becomes visible only complete. Locally a
write goes to a staging file and is renamed into place (atomic on POSIX); on S3 a single PUT or a
completed multipart upload is atomic, and an interrupted upload never shows up as an object.
No Dagster import: the Glue job uses this module too.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import io
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

from wistia_assets.aws import aws_client

# S3 multipart parts must be >= 5 MiB (except the last); 8 MiB keeps memory flat and small.
MULTIPART_CHUNK = 8 * 1024 * 1024
STAGING_DIR = "_staging"
# A staging file this old belongs to a writer that was killed (a live write renames its file
# within seconds to minutes): the next store opened on the lake removes it.
STALE_STAGING_SECONDS = 6 * 3600
LOCK_DIR = "_locks"


class ByteSink(Protocol):
    """What `open_writer` gives: bytes written in order (a local file, or an S3 multipart upload
    that uploads parts as they fill); nothing is visible under the key until the block ends."""

    def write(self, data: bytes, /) -> int: ...


class ObjectStore(Protocol):
    root_uri: str

    def uri(self, key: str) -> str: ...
    def exists(self, key: str) -> bool: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def open_writer(self, key: str) -> contextlib.AbstractContextManager[ByteSink]: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def last_modified(self, key_prefix: str) -> dict[str, float]: ...
    def delete_keys(self, keys: Iterable[str]) -> None: ...
    def lock(self, name: str) -> contextlib.AbstractContextManager[None]: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid lake key {key!r}")
    return key


class LocalStore:
    """A lake folder. Keys are relative paths below `root`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self.root_uri = "file://" + quote(str(self.root), safe="/=:-_.~")
        self.remove_stale_staging()

    def remove_stale_staging(self, max_age: float = STALE_STAGING_SECONDS) -> int:
        """Delete staging files left by killed writers; returns how many."""
        folder = self.root / STAGING_DIR
        if not folder.is_dir():
            return 0
        cutoff = time.time() - max_age
        removed = 0
        for path in folder.glob("*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def uri(self, key: str) -> str:
        # Not Path.as_uri(): it escapes '=' and makes every partition path unreadable in the UI.
        return "file://" + quote(str(self.path(key)), safe="/=:-_.~")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.open_writer(key) as out:
            out.write(data)

    @contextlib.contextmanager
    def open_writer(self, key: str) -> Iterator[ByteSink]:
        final = self.path(key)
        # Staging inside the lake root keeps the rename on one filesystem (atomic); the leading
        # underscore hides it from Spark, Hive and DuckDB globs.
        staging = self.root / STAGING_DIR / f"{uuid.uuid4().hex}.tmp"
        staging.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(staging, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
        finally:
            staging.unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        base = self.path(prefix.rstrip("/"))
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def last_modified(self, key_prefix: str) -> dict[str, float]:
        """Every key starting with `key_prefix` (any string, as on S3) -> its mtime (epoch s)."""
        folder, _, start = key_prefix.rpartition("/")
        base = self.path(folder) if folder else self.root
        if not base.is_dir():
            return {}
        found: dict[str, float] = {}
        for entry in base.glob(glob.escape(start) + "*"):
            for path in [entry, *(entry.rglob("*") if entry.is_dir() else [])]:
                with contextlib.suppress(FileNotFoundError):
                    if path.is_file():
                        found[path.relative_to(self.root).as_posix()] = path.stat().st_mtime
        return dict(sorted(found.items()))

    def delete_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            path = self.path(key)
            path.unlink(missing_ok=True)
            # Empty partition folders would read as "pulled, zero rows" to a glob; prune them.
            parent = path.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Exclusive among every process of this host writing `name` (a partition), until the
        block ends or the holder dies: flock is released by the kernel, so a SIGKILLed writer
        never leaves it held. Two runs of one partition otherwise delete each other's parts."""
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        path = self.root / LOCK_DIR / f"{digest}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield  # closing the file releases the lock


class _MultipartWriter(io.RawIOBase):
    """A write-only stream that uploads 8 MiB parts as they fill; nothing is visible until close."""

    def __init__(self, client, bucket: str, key: str):
        self._client, self._bucket, self._key = client, bucket, key
        self._buffer = bytearray()
        self._parts: list[dict] = []
        self._upload_id: str | None = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) >= MULTIPART_CHUNK:
            self._upload_part(bytes(self._buffer[:MULTIPART_CHUNK]))
            del self._buffer[:MULTIPART_CHUNK]
        return len(data)

    def _upload_part(self, chunk: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key
            )["UploadId"]
        number = len(self._parts) + 1
        etag = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=chunk,
        )["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})

    def commit(self) -> None:
        if self._upload_id is None:
            # Small object: one PUT, atomic as well.
            self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
            return
        if self._buffer:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )


class S3Store:
    """A bucket. Keys are object keys; `client` is a boto3 S3 client (endpoint-aware for moto)."""

    def __init__(self, bucket: str, client):
        self.bucket = bucket
        self.client = client
        self.root_uri = f"s3://{bucket}"

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{_check_key(key)}"

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_check_key(key), Body=data)

    @contextlib.contextmanager
    def open_writer(self, key: str) -> Iterator[ByteSink]:
        writer = _MultipartWriter(self.client, self.bucket, _check_key(key))
        try:
            yield writer
        except BaseException:
            writer.abort()
            raise
        writer.commit()

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = prefix.rstrip("/") + "/"
        keys = [
            obj["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]
        return sorted(keys)

    def last_modified(self, key_prefix: str) -> dict[str, float]:
        paginator = self.client.get_paginator("list_objects_v2")
        return {
            obj["Key"]: obj["LastModified"].timestamp()
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key_prefix)
            for obj in page.get("Contents", [])
        }

    def delete_keys(self, keys: Iterable[str]) -> None:
        batch: list[dict] = []
        for key in keys:
            batch.append({"Key": _check_key(key)})
            if len(batch) == 1000:  # the DeleteObjects limit
                self._delete(batch)
                batch = []
        if batch:
            self._delete(batch)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """No lock on S3: the aws deployment's run queue runs one run per media at a time
        (deploy/dagster.yaml), which is what keeps writers of one partition apart there."""
        yield

    def _delete(self, batch: list[dict]) -> None:
        response = self.client.delete_objects(
            Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise OSError(
                f"could not delete {len(errors)} object(s) from s3://{self.bucket}, "
                f"first {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
            )


def store_for_uri(
    root_uri: str, *, endpoint_url: str | None = None, region: str | None = None
) -> ObjectStore:
    """`file:///abs/lake` or a plain path -> LocalStore; `s3://bucket` -> S3Store."""
    parts = urlsplit(root_uri)
    if parts.scheme in ("s3", "s3a"):
        if parts.path not in ("", "/"):
            raise ValueError(f"{root_uri!r}: an S3 lake root is a bare bucket (s3://bucket)")
        return S3Store(parts.netloc, aws_client("s3", endpoint_url=endpoint_url, region=region))
    if parts.scheme == "file":
        return LocalStore(unquote(parts.path))
    if parts.scheme == "":
        return LocalStore(root_uri)
    raise ValueError(f"unsupported lake root {root_uri!r}: use a folder, file:// or s3://")
