"""Checks the CA bundle the image verifies the RDS certificate with.

deploy/dagster.yaml connects to Postgres with `sslmode: verify-full` against
/opt/dagster/rds-global-bundle.pem, so an image without AWS's bundle there cannot reach its
database at all. This check runs twice: `make image` runs it on the host before anything slow,
and the Dockerfile's `rds-ca` stage runs it on what actually reached the build context (a plain
`docker build` gets the same message). The bundle is never in the repository: the operator
downloads it from AWS (deploy/README.md, Prerequisites). Standard library only, because it runs
on the build host and inside the base image.

Usage: python3 rds_ca_bundle.py FILE [NAME]   (NAME: how to call FILE in messages)
Prints one line about the bundle; exits 1 with what to do when it is missing or holds no CA.
"""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

DEFAULT = "deploy/rds-global-bundle.pem"
AWS_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


class BundleError(Exception):
    """The bundle cannot verify anything; the message says what to do."""


def download(name: str) -> str:
    # -f: an HTTP error must not leave its error page behind as the "bundle".
    return f"curl -fsSL -o {name} {AWS_URL}"


def describe(path: Path, name: str = DEFAULT) -> str:
    """One line naming the bundle's CA certificates; BundleError when it cannot verify RDS."""
    if not path.is_file() or path.stat().st_size == 0:
        raise BundleError(
            f"no RDS CA bundle at {name}: the image verifies the RDS certificate against it "
            "(deploy/dagster.yaml, sslmode verify-full), so without it no task can reach "
            f"Postgres. Download AWS's bundle, then build again:\n  {download(name)}"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(path))
    except ssl.SSLError as exc:
        raise BundleError(
            f"{name} holds no PEM certificate ({exc.reason or exc}): perhaps an error page "
            f"saved by a download; download AWS's bundle again:\n  {download(name)}"
        ) from exc
    authorities = context.get_ca_certs()
    if not authorities:
        raise BundleError(
            f"{name} holds certificates but no certificate authority, so it can verify no "
            f"server: download AWS's bundle again:\n  {download(name)}"
        )
    owners = sorted({_organization(ca["subject"]) for ca in authorities} - {""})
    more = f" and {len(owners) - 3} more" if len(owners) > 3 else ""
    count = len(authorities)
    return (
        f"RDS CA bundle {name}: {count} CA certificate{'s' if count != 1 else ''} "
        f"({', '.join(owners[:3])}{more})"
    )


def _organization(subject: tuple) -> str:
    return next((value for rdn in subject for k, value in rdn if k == "organizationName"), "")


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: rds_ca_bundle.py FILE [NAME]", file=sys.stderr)
        return 64
    path = Path(argv[0])
    try:
        print(describe(path, argv[1] if len(argv) == 2 else argv[0]))
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
