"""A DuckDB baseline for the Silver `fact_events` run: the same work over the same Bronze files.

It lives here, never in the product: its only job is to tell how fast the work could be done on
this machine without Spark, so that Spark's events per second mean something. "The same work"
is the product's rules (`wistia_assets/transforms/fact_events.py`, `pii.py`, `values.py`),
re-implemented in SQL:

- read exactly the parts the manifest lists, every line with its part and 1-based line number;
- the quarantine reasons in the product's order (unparsable JSON, another media's record, no
  event_key, unparsable received_at, percent_viewed not a number / out of range);
- typing of both payload eras: `received_at` with or without a fraction, `Z`, an offset or none
  -> UTC timestamp; percent_viewed fractions kept, legacy percents / 100; user agent, booleans,
  `has_conversion`, `payload_era`;
- routing by `received_at`: a line of another UTC day than the partition's is neither kept nor
  quarantined (its own day's run judges it), and a key's copy of the day comes first;
- dedup on `event_key`, first occurrence in Bronze order (part, then line);
- personal data: ip, email, lat/lon, conversion_data and the heatmap token never selected,
  `embed_url` reduced to scheme + host + path (e-mails in the path redacted, IP hosts replaced),
  `visitor_key` and `ip` -> HMAC-SHA256 hex with the key;
- one Parquet file sorted by (received_at, event_key), the quarantine as NDJSON sorted by (part,
  line), the counts the run reports (reasons, unknown fields, lines routed away), a five-row
  preview and the personal-value scan of what was written, read back.

Not done, because a single partition alone in its lake makes them no-ops for Spark too: the
neighbour-day guard (there is no dt-1 / dt+1) and the staging clean-up.

HMAC: DuckDB has no HMAC builtin, and its Python UDFs (`create_function`) need numpy, which the
project does not install. So the keys go out in Arrow record batches to this process, are hashed
row by row with Python's `hmac` (as the product's Spark UDF does, also one Python call per row),
and come back as an Arrow table joined on a row id. Building HMAC out of DuckDB's `sha256` would
be faster but would write key material into the SQL text, which the product refuses to do in
Spark's plans; the baseline follows the same rule.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from benchmarks.bronze_days import BronzeDay
from wistia_assets.transforms.schema import EVENT_FIELDS

HASH_BATCH_ROWS = 65_536
# The product's patterns (pii.py), in RE2 (DuckDB's regex engine).
URL = r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::[0-9]*)?([^?#]*)"
EMAIL = r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
IPV4_HOST = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"
# The product's scan pattern uses Java look-arounds around a dotted quad; RE2 has none, and for
# "does the value contain one" (^|[^0-9.]) ... ($|[^0-9.]) is the same question.
PERSONAL_VALUE = "|".join(
    [
        r"(^|[^0-9.])[0-9]{1,3}(\.[0-9]{1,3}){3}($|[^0-9.])",
        r"(?i)\b([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b",
        r"(?i)([0-9a-f]{1,4}:)*:(:[0-9a-f]{1,4})+",
        r"(?i)\b[0-9a-f]{1,4}::",
        EMAIL,
    ]
)
ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$"
FRACTIONAL_SECONDS = r"T\d{2}:\d{2}:\d{2}\.\d+"
STRING_COLUMNS = (
    "event_key",
    "visitor_hash",
    "ip_hash",
    "embed_url",
    "embed_host",
    "country",
    "region",
    "city",
    "org",
    "browser",
    "platform",
    "media_name",
    "conversion_type",
    "payload_era",
)


@dataclass
class BaselineRun:
    seconds: float
    hash_seconds: float  # the Python HMAC share of `seconds`
    bronze_lines: int
    rows: int
    duplicates_removed: int
    quarantine_reasons: dict[str, int]
    unknown_fields: dict[str, int]
    routed_away: int
    personal_values: dict[str, int]
    preview: list[tuple] = field(repr=False)
    parquet: Path = Path()

    @property
    def quarantined(self) -> int:
        return sum(self.quarantine_reasons.values())


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _blank_to_null(expr: str) -> str:
    # Spark's trim and DuckDB's both remove spaces only, so "blank" means the same in both.
    return f"CASE WHEN trim({expr}) <> '' THEN {expr} END"


def _keyed_hash(key: bytes):
    def digest(value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            return None
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    return digest


def _hash_table(con: duckdb.DuckDBPyConnection, key: bytes) -> pa.Table:
    """`rid, visitor_hash, ip_hash` of every kept row, hashed here, one Python call per value."""
    digest = _keyed_hash(key)
    ids, visitors, ips = [], [], []
    reader = con.sql("SELECT rid, rec.visitor_key AS v, rec.ip AS i FROM kept").to_arrow_reader(
        HASH_BATCH_ROWS
    )
    for batch in reader:
        ids.append(batch.column(0))
        visitors.append(pa.array([digest(v) for v in batch.column(1).to_pylist()], pa.string()))
        ips.append(pa.array([digest(v) for v in batch.column(2).to_pylist()], pa.string()))
    return pa.table(
        {
            "rid": pa.chunked_array(ids, pa.int64()),
            "visitor_hash": pa.chunked_array(visitors, pa.string()),
            "ip_hash": pa.chunked_array(ips, pa.string()),
        }
    )


def _parse_sql(day: BronzeDay) -> str:
    parts = ", ".join(
        f"({_q(str(day.lake / key))}, {index}, {_q(key)})"
        for index, key in enumerate(day.part_keys)
    )
    files = ", ".join(_q(str(day.lake / key)) for key in day.part_keys)
    schema = "{" + ", ".join(f'"{name}": "VARCHAR"' for name in EVENT_FIELDS) + "}"
    media = _q(day.media_id)
    return f"""
    CREATE TABLE parsed AS
    WITH parts(path, part_index, part_key) AS (VALUES {parts}),
    split AS (
        SELECT filename, string_split(content, chr(10)) AS l FROM read_text([{files}])
    ),
    lines AS (
        SELECT p.part_index, p.part_key, s.line_no, s.line
        FROM (
            SELECT filename, unnest(l) AS line, generate_subscripts(l, 1) AS line_no,
                   len(l) AS n
            FROM split
        ) s JOIN parts p ON p.path = s.filename
        -- the newline that ends the file opens no line (as Spark's text reader sees it)
        WHERE NOT (s.line_no = s.n AND s.line = '')
    ),
    objects AS (
        SELECT *, CASE WHEN json_valid(line) THEN json_type(line) END = 'OBJECT' AS is_object
        FROM lines
    ),
    records AS (
        SELECT *, CASE WHEN is_object THEN from_json(line, '{schema}') END AS rec
        FROM objects
    ),
    typed AS (
        SELECT *,
            {_blank_to_null("rec.event_key")} AS event_key,
            nullif(trim(rec.media_id), '') AS record_media,
            CASE WHEN regexp_matches(trim(rec.received_at), {_q(ISO_TIMESTAMP)})
                 THEN try_cast(trim(rec.received_at) AS TIMESTAMPTZ) END AS received_at,
            nullif(trim(rec.percent_viewed), '') AS pv_raw,
            try_cast(nullif(trim(rec.percent_viewed), '') AS DOUBLE) AS pv
        FROM records
    )
    SELECT *,
        CASE
            WHEN NOT coalesce(is_object, false) THEN 'unparsable JSON'
            WHEN record_media IS NOT NULL AND record_media <> {media}
                THEN 'record media_id=' || record_media || ' differs from partition media_id='
                     || {media}
            WHEN event_key IS NULL THEN 'missing event_key'
            WHEN received_at IS NULL THEN 'unparsable received_at'
            WHEN pv_raw IS NOT NULL AND pv IS NULL THEN 'percent_viewed not a number'
            WHEN isnan(pv) OR pv < 0 OR pv > 100 THEN 'percent_viewed out of range'
        END AS reason,
        coalesce(CAST(received_at AS DATE) <> DATE {_q(day.dt)}, false) AS elsewhere
    FROM typed
    """


def _silver_select() -> str:
    """The fact_events columns, in contract order, from `kept` joined with `hashes`."""
    ua = (
        "CASE WHEN CASE WHEN json_valid(rec.user_agent_details) "
        "THEN json_type(rec.user_agent_details) END = 'OBJECT' "
        'THEN from_json(rec.user_agent_details, \'{"browser": "VARCHAR", '
        '"browser_version": "VARCHAR", "platform": "VARCHAR", "mobile": "VARCHAR"}\') END'
    )
    scheme = f"lower(regexp_extract(rec.embed_url, {_q(URL)}, 1))"
    host_raw = f"lower(regexp_extract(rec.embed_url, {_q(URL)}, 2))"
    host = (
        f"CASE WHEN {host_raw} = '' THEN NULL "
        f"WHEN regexp_matches({host_raw}, {_q(IPV4_HOST)}) OR starts_with({host_raw}, '[') "
        f"THEN 'ip-address' ELSE {host_raw} END"
    )
    path = (
        f"regexp_replace(regexp_extract(rec.embed_url, {_q(URL)}, 3), {_q(EMAIL)}, "
        "'redacted', 'g')"
    )
    conv = "trim(rec.conversion_data)"
    has_conversion = f"""CASE
        WHEN {conv} IS NULL OR lower({conv}) IN ('', '{{}}', '[]', 'null', 'false') THEN false
        WHEN starts_with({conv}, '{{') THEN CASE WHEN json_valid({conv}) THEN coalesce(
            list_bool_or(list_transform(json_extract_string({conv}, '$.*'),
                                        lambda v: v IS NOT NULL AND trim(v) <> '')), false)
            ELSE false END
        WHEN starts_with({conv}, '[') THEN CASE WHEN json_valid({conv})
            THEN coalesce(json_array_length({conv}) > 0, false) ELSE false END
        ELSE true END"""
    legacy = (
        f"NOT regexp_matches(rec.received_at, {_q(FRACTIONAL_SECONDS)}) "
        "OR (rec.conversion_data IS NOT NULL AND trim(rec.conversion_data) = '') OR pv > 1"
    )
    mobile = "lower(trim(ua.mobile))"
    return f"""
    SELECT
        event_key,
        received_at,
        CAST(received_at AS DATE) AS event_date,
        h.visitor_hash,
        h.ip_hash,
        CASE WHEN pv <= 1 THEN pv ELSE pv / 100 END AS percent_viewed,
        CASE WHEN rec.embed_url IS NOT NULL AND {scheme} <> '' AND ({host}) IS NOT NULL
             THEN {scheme} || '://' || ({host}) || {path} END AS embed_url,
        {host} AS embed_host,
        {_blank_to_null("rec.country")} AS country,
        {_blank_to_null("rec.region")} AS region,
        {_blank_to_null("rec.city")} AS city,
        {_blank_to_null("rec.org")} AS org,
        {_blank_to_null("ua.browser")} AS browser,
        {_blank_to_null("trim(ua.browser_version)")} AS browser_version,
        {_blank_to_null("ua.platform")} AS platform,
        CASE WHEN {mobile} IN ('true', '1', 'yes') THEN true
             WHEN {mobile} IN ('false', '0', 'no') THEN false END AS is_mobile,
        {_blank_to_null("rec.media_name")} AS media_name,
        {_blank_to_null("trim(rec.conversion_type)")} AS conversion_type,
        {has_conversion} AS has_conversion,
        CASE WHEN {legacy} THEN 'legacy' ELSE 'current' END AS payload_era
    FROM (SELECT *, {ua} AS ua FROM kept) k JOIN hashes h USING (rid)
    ORDER BY received_at, event_key
    """


def connect(*, threads: int, memory_limit: str, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = {_q(memory_limit)}")
    con.execute(f"SET temp_directory = {_q(str(temp_dir))}")
    con.execute("SET TimeZone = 'UTC'")
    # Every output is sorted explicitly; keeping scan order on top of that only costs.
    con.execute("SET preserve_insertion_order = false")
    return con


def run_baseline(
    day: BronzeDay,
    out_dir: Path,
    *,
    hash_key: bytes,
    threads: int = 2,
    memory_limit: str = "2GB",
) -> BaselineRun:
    """Build the day's Silver rows and quarantine under `out_dir` (replaced); timed as a whole."""
    shutil.rmtree(out_dir, ignore_errors=True)
    silver_dir, quarantine_dir = out_dir / "silver", out_dir / "quarantine"
    silver_dir.mkdir(parents=True)
    quarantine_dir.mkdir(parents=True)
    parquet = silver_dir / "part-00000.snappy.parquet"
    started = time.monotonic()
    con = connect(threads=threads, memory_limit=memory_limit, temp_dir=out_dir / "spill")
    try:
        con.execute(_parse_sql(day))
        # A line of another UTC day is judged by that day's run: counted here, nothing more.
        reasons: dict[str | None, int] = dict(
            con.execute(
                "SELECT reason, count(*) FROM parsed WHERE NOT elsewhere GROUP BY reason"
            ).fetchall()
        )
        (routed,) = con.execute("SELECT count(*) FROM parsed WHERE elsewhere").fetchall()[0]
        known = ", ".join(_q(name) for name in EVENT_FIELDS)
        unknown = dict(
            con.execute(
                "SELECT k, count(*) FROM (SELECT unnest(json_keys(line)) AS k FROM parsed "
                f"WHERE is_object) WHERE k NOT IN ({known}) GROUP BY k"
            ).fetchall()
        )
        valid = reasons.pop(None, 0)
        # Bronze order makes the row id: the first occurrence of a key has the smallest.
        # (The day's copy of a key sorts first; without neighbours, the first copy of a key
        # from another day simply means the key is not this day's.)
        con.execute(
            "CREATE TABLE kept AS SELECT * FROM (SELECT *, part_index * 4294967296 + line_no "
            "AS rid FROM parsed WHERE reason IS NULL QUALIFY row_number() OVER "
            "(PARTITION BY event_key ORDER BY elsewhere, part_index, line_no) = 1) "
            "WHERE NOT elsewhere"
        )
        (rows,) = con.execute("SELECT count(*) FROM kept").fetchall()[0]
        hashed = time.monotonic()
        hashes = _hash_table(con, hash_key)
        hash_seconds = time.monotonic() - hashed
        con.register("hashes", hashes)
        if rows:
            con.execute(
                f"COPY ({_silver_select()}) TO {_q(str(parquet))} "
                "(FORMAT PARQUET, COMPRESSION SNAPPY)"
            )
        if reasons:
            con.execute(
                "COPY (SELECT reason, line, part_key, line_no FROM parsed "
                "WHERE reason IS NOT NULL AND NOT elsewhere ORDER BY part_key, line_no) "
                f"TO {_q(str(quarantine_dir / 'part-00000.json'))} (FORMAT JSON)"
            )
        personal: dict[str, int] = {}
        preview: list[tuple] = []
        if rows:
            written = f"read_parquet({_q(str(parquet))}, hive_partitioning = false)"
            checks = ", ".join(
                f"count(*) FILTER (WHERE regexp_matches({c}, "
                f"{_q(EMAIL if c == 'browser_version' else PERSONAL_VALUE)})) AS {c}"
                for c in (*STRING_COLUMNS, "browser_version")
            )
            found = con.execute(f"SELECT {checks} FROM {written}")
            names = [column[0] for column in found.description]
            personal = {
                name: int(n) for name, n in zip(names, found.fetchall()[0], strict=True) if n
            }
            preview = con.execute(
                "SELECT event_key, received_at, percent_viewed, embed_host, country, browser, "
                f"platform, is_mobile, has_conversion, payload_era FROM {written} LIMIT 5"
            ).fetchall()
    finally:
        con.close()
    return BaselineRun(
        seconds=time.monotonic() - started,
        hash_seconds=hash_seconds,
        bronze_lines=valid + sum(reasons.values()) + int(routed),
        rows=int(rows),
        duplicates_removed=int(valid - rows),
        quarantine_reasons={str(k): int(v) for k, v in sorted(reasons.items())},
        unknown_fields={str(k): int(v) for k, v in sorted(unknown.items())},
        routed_away=int(routed),
        personal_values=personal,
        preview=preview,
        parquet=parquet,
    )
