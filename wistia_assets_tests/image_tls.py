"""Throwaway certificate authorities and Postgres server certificates for `make image-test`.

The image verifies its Postgres server against the CA bundle it was built with (dagster.yaml:
`sslmode: verify-full`). To prove that it does, `make image-test` builds the image with a CA made
here instead of AWS's bundle (`python -m wistia_assets_tests.image_tls DIR` writes
DIR/rds-test-ca.pem and its key before the build), and test_image.py gives its Postgres servers
certificates issued by that CA, or by another CA the image does not trust. Made with the openssl
command line; keys are EC P-256 (fast to make), certificates live two days.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TEST_CA = "rds-test-ca"


@dataclass(frozen=True)
class KeyPair:
    certificate: Path
    key: Path


def openssl(*args: str | Path) -> None:
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))} failed:\n{done.stderr}")


def issue_ca(directory: Path, name: str, common_name: str) -> KeyPair:
    """A self-signed certificate authority: DIR/NAME.pem (the bundle) and DIR/NAME.key."""
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(directory / f"{name}.pem", directory / f"{name}.key")
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "2", "-subj", f"/O=wistia_assets image-test/CN={common_name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", pair.key, "-out", pair.certificate,
    )  # fmt: skip
    return pair


def issue_server_certificate(ca: KeyPair, hostname: str, directory: Path) -> KeyPair:
    """A server certificate for HOSTNAME (its only subject alternative name), signed by CA."""
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(directory / f"{hostname}.crt", directory / f"{hostname}.key")
    request = directory / f"{hostname}.csr"
    extensions = directory / f"{hostname}.ext"
    extensions.write_text(
        f"subjectAltName=DNS:{hostname}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", f"/CN={hostname}", "-keyout", pair.key, "-out", request,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", request, "-CA", ca.certificate, "-CAkey", ca.key,
        "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "1",
        "-extfile", extensions, "-out", pair.certificate,
    )  # fmt: skip
    return pair


def image_ca(directory: Path) -> KeyPair:
    """The CA `make image-test` builds the image with (made by this module's command line)."""
    return KeyPair(directory / f"{TEST_CA}.pem", directory / f"{TEST_CA}.key")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m wistia_assets_tests.image_tls DIR")
    made = issue_ca(Path(sys.argv[1]), TEST_CA, "wistia_assets image-test CA (not AWS)")
    print(f"test CA for the image build: {made.certificate}")
