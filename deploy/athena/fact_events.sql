-- Silver fact_events: one row per Wistia viewing event, deduplicated on event_key, no raw
-- personal data (visitor_hash and ip_hash are HMAC-SHA256 with the hash-key secret).
-- The data stack creates this table already; this DDL recreates it by hand (see README).
-- Partition projection: Athena computes dt/media_id partitions, no MSCK REPAIR needed.
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.fact_events (
  event_key string,
  received_at timestamp,
  event_date date,
  visitor_hash string,
  ip_hash string,
  percent_viewed double,
  embed_url string,
  embed_host string,
  country string,
  region string,
  city string,
  org string,
  browser string,
  browser_version string,
  platform string,
  is_mobile boolean,
  media_name string,
  conversion_type string,
  has_conversion boolean,
  payload_era string
)
PARTITIONED BY (dt string, media_id string)
STORED AS PARQUET
LOCATION 's3://{{SILVER_BUCKET}}/silver/wistia/fact_events/'
TBLPROPERTIES (
  'classification' = 'parquet',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '{{WISTIA_START_DATE}},NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'projection.media_id.type' = 'enum',
  'projection.media_id.values' = '{{MEDIA_IDS}}',
  'storage.location.template' = 's3://{{SILVER_BUCKET}}/silver/wistia/fact_events/dt=${dt}/media_id=${media_id}'
)
