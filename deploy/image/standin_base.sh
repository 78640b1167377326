#!/usr/bin/env bash
# Builds a STAND-IN for the python:3.11-slim-bookworm base image, for machines that cannot pull
# from a container registry (no Docker Hub): a minimal Debian bookworm root from Debian's own
# package mirror (debootstrap), committed as an image with buildah, with `python`/`pip` on
# /usr/local/bin like the official image. Debian's Python is 3.11.2, the official image's is
# 3.11.x from source: same minor version, same ABI for the wheels the image installs.
#
# It is a stand-in for building and starting the image here, never for pushing to ECR: the
# image it yields carries the label org.opencontainers.image.base.name=<this tag>.
#
# Usage: deploy/image/standin_base.sh TAG   (root; Debian packages buildah + debootstrap)
set -euo pipefail

TAG="${1:?usage: standin_base.sh TAG}"
STORAGE=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if buildah "${STORAGE[@]}" inspect --type image "${TAG}" >/dev/null 2>&1; then
  echo "stand-in base ${TAG} already built"
  exit 0
fi

root="$(mktemp -d /var/tmp/wistia-standin-root.XXXXXX)"
ctr=""
cleanup() {
  [[ -n "${ctr}" ]] && buildah "${STORAGE[@]}" rm "${ctr}" >/dev/null 2>&1 || true
  rm -rf "${root}"
}
trap cleanup EXIT

echo "building the STAND-IN base ${TAG} from Debian bookworm (${MIRROR}); a few minutes"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "${root}" "${MIRROR}" >"${root}.log" 2>&1 || {
  tail -20 "${root}.log" >&2
  echo "debootstrap failed (log above): is ${MIRROR} reachable?" >&2
  exit 1
}
rm -f "${root}.log"
# What the slim image leaves out too: apt lists, docs, caches.
rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/* "${root}"/usr/share/doc/* \
  "${root}"/usr/share/man/* "${root}"/usr/share/locale/*

ctr="$(buildah "${STORAGE[@]}" from scratch)"
buildah "${STORAGE[@]}" copy "${ctr}" "${root}" / >/dev/null
# The official image has python and pip on /usr/local/bin; a venv there gives the same, and its
# site-packages (/usr/local/lib/python3.11/site-packages) is where the Dockerfile installs.
buildah "${STORAGE[@]}" run --isolation chroot "${ctr}" -- python3 -m venv /usr/local
buildah "${STORAGE[@]}" config \
  --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 \
  --cmd python3 \
  --label org.opencontainers.image.title="STAND-IN for python:3.11-slim-bookworm" \
  --label org.opencontainers.image.description="debootstrap bookworm minbase + python3 venv at /usr/local; for local builds only, never for ECR" \
  "${ctr}"
buildah "${STORAGE[@]}" commit --rm "${ctr}" "${TAG}" >/dev/null
ctr=""
echo "built stand-in base ${TAG} ($(buildah "${STORAGE[@]}" images --format '{{.Size}}' "${TAG}"))"
