"""The local HMAC key file: where Silver's key lives when WISTIA_HASH_KEY is not set.

One reader for both that need the key: the local transform engine (`resources/spark_engine.py`)
hashes with it, and the erasure (`erasure/keys.py`) hashes the viewer to erase with the same key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal, overload


@overload
def key_from_file(path: Path, *, create: Literal[True] = True) -> bytes: ...
@overload
def key_from_file(path: Path, *, create: bool) -> bytes | None: ...
def key_from_file(path: Path, *, create: bool = True) -> bytes | None:
    """The key kept in `path`, created there with a random key on first use when `create`
    (else None while there is none: a dry run changes nothing, not even the key file)."""
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only this user may read it: it is what keeps the hashes from being reversed by brute
        # force over the (small) IPv4 space. O_EXCL: two first uses never write two keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
