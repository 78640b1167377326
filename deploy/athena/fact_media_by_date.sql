-- Silver fact_media_by_date: Wistia's daily aggregates per media (loads, plays, hours watched).
-- The data stack creates this table already; this DDL recreates it by hand (see README).
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.fact_media_by_date (
  `date` date,
  load_count bigint,
  play_count bigint,
  hours_watched double
)
PARTITIONED BY (dt string, media_id string)
STORED AS PARQUET
LOCATION 's3://{{SILVER_BUCKET}}/silver/wistia/fact_media_by_date/'
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
  'storage.location.template' = 's3://{{SILVER_BUCKET}}/silver/wistia/fact_media_by_date/dt=${dt}/media_id=${media_id}'
)
