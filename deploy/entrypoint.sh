#!/usr/bin/env bash
# One image, four jobs: the ECS task definitions pass `webserver`, `daemon` or `code-server`;
# EcsRunLauncher overrides the command with `dagster api execute_run ...`, which runs as given.
set -euo pipefail

WORKSPACE="${DAGSTER_WORKSPACE:-/opt/dagster/app/deploy/workspace.yaml}"

usage() {
  echo "usage: entrypoint.sh webserver|daemon|code-server|set-pools|<command...>" >&2
  exit 64
}

# OSS Dagster keeps per-pool limits in its database (dagster.yaml only has a default), so the
# daemon writes them at every start from DAGSTER_POOL_LIMITS="wistia_api=2,glue=4": the
# CloudFormation parameters stay the single source of truth.
set_pool_limits() {
  local spec="${DAGSTER_POOL_LIMITS:-}" item pool limit
  [[ -n "${spec}" ]] || return 0
  IFS=',' read -r -a items <<<"${spec}"
  for item in "${items[@]}"; do
    pool="${item%%=*}"
    limit="${item#*=}"
    if [[ ! "${pool}" =~ ^[A-Za-z0-9_.-]+$ || ! "${limit}" =~ ^[0-9]+$ ]]; then
      echo "DAGSTER_POOL_LIMITS: '${item}' is not <pool>=<limit>" >&2
      exit 64
    fi
    dagster instance concurrency set "${pool}" "${limit}"
  done
}

[[ $# -gt 0 ]] || usage
role="$1"
shift
case "${role}" in
  webserver)
    exec dagster-webserver -h 0.0.0.0 -p 3000 -w "${WORKSPACE}" "$@"
    ;;
  daemon)
    set_pool_limits
    exec dagster-daemon run -w "${WORKSPACE}" "$@"
    ;;
  code-server)
    exec dagster code-server start -h 0.0.0.0 -p 4000 -m wistia_assets "$@"
    ;;
  set-pools)
    set_pool_limits
    ;;
  *)
    exec "${role}" "$@"
    ;;
esac
