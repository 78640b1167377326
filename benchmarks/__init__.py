"""Benchmarks that anyone can rerun: `python -m benchmarks [--quick]` runs them all, or one of
`python -m benchmarks.ingestion`, `.silver`, `.end_to_end` (see docs/BENCHMARKS.md).

They print numbers measured side by side in one run (ratios, not timed assertions): a number
only means something next to its neighbour on the same machine at the same time. Not part of the
pytest suite; `wistia_assets_tests/test_benchmarks_smoke.py` keeps the harness itself honest.
"""
