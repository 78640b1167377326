#!/usr/bin/env bash
# `make image`: the ECS image from deploy/Dockerfile, built with buildah (no Docker engine), run as
# root with the Debian packages buildah and debootstrap. The base is the Dockerfile's pinned
# python:3.11-slim image when a registry can be reached; when not, a STAND-IN base built from
# Debian's own mirror (deploy/image/standin_base.sh), announced on every build and recorded in the
# image's labels: such an image is for building and starting here, never for ECR.
#
# The RDS CA bundle (deploy/dagster.yaml verifies the Postgres certificate with it) is checked
# before anything else: without AWS's bundle the build stops at once, saying how to get it.
# RDS_CA_BUNDLE names another file in the build context; only `make image-test` does, with its
# throwaway CA, and such an image is announced and labelled as a TEST build.
#
# Usage: [RDS_CA_BUNDLE=FILE] deploy/image/build.sh IMAGE   (e.g. localhost/wistia-assets:<commit>)
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE="${1:?usage: build.sh IMAGE}"
DEFAULT_CA_BUNDLE="deploy/rds-global-bundle.pem"
CA_BUNDLE="${RDS_CA_BUNDLE:-${DEFAULT_CA_BUNDLE}}"
STORAGE=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
STANDIN="localhost/wistia-python-standin:3.11-bookworm"
BASE="${PYTHON_IMAGE:-$(sed -n 's/^ARG PYTHON_IMAGE=//p' deploy/Dockerfile)}"

for tool in buildah debootstrap; do
  command -v "${tool}" >/dev/null || {
    echo "error: ${tool} is required: apt-get update && apt-get install -y buildah debootstrap (as root)" >&2
    exit 1
  }
done
[[ "$(id -u)" == 0 ]] || { echo "error: make image runs buildah as root" >&2; exit 1; }

grep -qxF "!${CA_BUNDLE}" deploy/Dockerfile.dockerignore || {
  echo "error: RDS_CA_BUNDLE=${CA_BUNDLE} is not let into the build context by" \
    "deploy/Dockerfile.dockerignore: put AWS's bundle at ${DEFAULT_CA_BUNDLE}" >&2
  exit 1
}
python3 deploy/image/rds_ca_bundle.py "${CA_BUNDLE}"
ca_label="${CA_BUNDLE} sha256:$(sha256sum "${CA_BUNDLE}" | cut -c1-16)"
if [[ "${CA_BUNDLE}" != "${DEFAULT_CA_BUNDLE}" ]]; then
  echo "!! TEST build: the image trusts ${CA_BUNDLE}, not AWS's RDS bundle (${DEFAULT_CA_BUNDLE}):"
  echo "!! it cannot connect to RDS; for local tests only, never push it"
  ca_label="TEST ${ca_label}"
fi

if buildah "${STORAGE[@]}" pull --quiet "${BASE}" >/dev/null 2>&1; then
  base_kind="pulled"
else
  echo "!! ${BASE} cannot be pulled here: building on the STAND-IN base ${STANDIN}"
  echo "!! (Debian bookworm + its python3.11, not the official image): for local use only, never push it"
  deploy/image/standin_base.sh "${STANDIN}"
  BASE="${STANDIN}"
  base_kind="stand-in"
fi

# Rebuilding a tag leaves the previous image untagged; it is removed below (vfs copies are big).
previous="$(buildah "${STORAGE[@]}" inspect --type image --format '{{.FromImageID}}' "${IMAGE}" 2>/dev/null || true)"
start=$(date +%s)
# The host's CA bundle: pip in the build verifies PyPI with the same roots as the host's pip.
buildah "${STORAGE[@]}" bud --quiet --isolation chroot \
  --ignorefile deploy/Dockerfile.dockerignore \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  --build-arg PYTHON_IMAGE="${BASE}" \
  --label "wistia-assets.base=${base_kind} ${BASE}" \
  --build-arg RDS_CA_BUNDLE="${CA_BUNDLE}" \
  --label "wistia-assets.rds-ca=${ca_label}" \
  -f deploy/Dockerfile -t "${IMAGE}" . >/dev/null
current="$(buildah "${STORAGE[@]}" inspect --type image --format '{{.FromImageID}}' "${IMAGE}")"
if [[ -n "${previous}" && "${previous}" != "${current}" ]]; then
  buildah "${STORAGE[@]}" rmi "${previous}" >/dev/null 2>&1 || true  # still tagged elsewhere: kept
fi
# Sum of the layers (uncompressed): what a task unpacks; ECR stores them compressed.
bytes=$(buildah "${STORAGE[@]}" inspect --type image "${IMAGE}" | python3 -c \
  'import json, sys; print(sum(l["size"] for l in json.loads(json.load(sys.stdin)["Manifest"])["layers"]))')
echo "built ${IMAGE} on ${base_kind} base ${BASE} in $(( $(date +%s) - start )) s: ${bytes} bytes ($(( bytes / 1000000 )) MB)"
