#!/usr/bin/env bash
# `make image`: the ECS image from deploy/Dockerfile, built with buildah (no Docker engine), run as
# root with the Debian packages buildah and debootstrap. The base is the Dockerfile's pinned
# python:3.11-slim image when a registry can be reached; when not, a STAND-IN base built from
# Debian's own mirror (deploy/image/standin_base.sh), announced on every build and recorded in the
# image's labels: such an image is for building and starting here, never for ECR.
#
# Usage: deploy/image/build.sh IMAGE   (e.g. localhost/wistia-assets:<commit>)
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE="${1:?usage: build.sh IMAGE}"
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
  -f deploy/Dockerfile -t "${IMAGE}" . >/dev/null
current="$(buildah "${STORAGE[@]}" inspect --type image --format '{{.FromImageID}}' "${IMAGE}")"
if [[ -n "${previous}" && "${previous}" != "${current}" ]]; then
  buildah "${STORAGE[@]}" rmi "${previous}" >/dev/null 2>&1 || true  # still tagged elsewhere: kept
fi
# Sum of the layers (uncompressed): what a task unpacks; ECR stores them compressed.
bytes=$(buildah "${STORAGE[@]}" inspect --type image "${IMAGE}" | python3 -c \
  'import json, sys; print(sum(l["size"] for l in json.loads(json.load(sys.stdin)["Manifest"])["layers"]))')
echo "built ${IMAGE} on ${base_kind} base ${BASE} in $(( $(date +%s) - start )) s: ${bytes} bytes ($(( bytes / 1000000 )) MB)"
