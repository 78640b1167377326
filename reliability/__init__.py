"""The reliability matrix: faults, kills, replays, concurrency and security, against the real
pipeline (see docs/RELIABILITY.md).

    .venv/bin/python -m reliability            # every case, ~15 minutes on 2 cores
    .venv/bin/python -m reliability --quick    # a representative subset, ~3 minutes
    .venv/bin/python -m reliability --case throttle_429 --case kill_silver

Each case starts from an empty temporary lake and Dagster instance, serves the sandbox Wistia API
on a loopback socket with a bearer token, runs the `wistia_window` job (in this process, or the
`wistia-assets` CLI in a subprocess when a process must die) and ends by comparing Silver to the
sandbox's ground truth. Not part of the default pytest suite (it takes minutes);
`wistia_assets_tests/test_reliability_smoke.py` runs a few cases through the same functions.
"""
