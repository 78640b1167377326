"""A viewer's erasure (GDPR art. 17, CCPA's right to delete): find, remove, keep out.

- `viewer`: the request's identity, hashed at once (HMAC with Silver's key); which raw records
  are that viewer's.
- `records`: the erasure records and the suppression list (keyed hashes only), in the state
  store: SQLite under the lake's `_state/` locally, the watermark table in AWS.
- `suppression`: what ingestion asks before anything reaches Bronze.
- `bronze`, `silver`: finding the viewer's events in the lake, and rewriting Bronze partitions
  without them (through the partition writer, so each is replaced whole or not at all).
- `eraser`: the request end to end (record it pending, rewrite, rebuild, mark it done); the CLI
  (`commands/erase.py`) and the `erase_viewer` Dagster job (`job`) give it their rebuilds.
- `keys`: the deployment's hash key and erasure store.
- `retention`: the local lake's Bronze retention, as the bucket's lifecycle.
"""
