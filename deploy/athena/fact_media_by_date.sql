-- Silver fact_media_by_date: Wistia's daily aggregates per media (loads, plays, hours watched).
-- The data stack creates this table already; this DDL recreates it by hand (see README).
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.fact_media_by_date (
  `date` date COMMENT 'The day the Wistia by_date stats describe (by_date.date).',
  load_count bigint COMMENT 'Times the player loaded on a page that day (by_date.load_count); 0 on a quiet day.',
  play_count bigint COMMENT 'Times the video was played that day (by_date.play_count); 0 on a quiet day.',
  hours_watched double COMMENT 'Hours of video watched that day, as Wistia derives it (by_date.hours_watched).'
)
PARTITIONED BY (
  dt string COMMENT 'Partition: the UTC day (YYYY-MM-DD) whose Wistia window the row was pulled for.',
  media_id string COMMENT 'Partition: the Wistia hashed media id (MEDIA_IDS) whose window the row was pulled for.'
)
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
