-- Gold media_daily: one row per UTC day and media with the weekly report's daily metrics
-- (loads, plays, play rate, hours watched from fact_media_by_date; sessions, unique visitors,
-- share watched, mobile share from fact_events). Built by the media_daily asset after the day's
-- Silver partitions; the data stack creates this table already, this DDL recreates it by hand.
-- Partition projection: Athena computes the dt partitions, no MSCK REPAIR needed.
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.media_daily (
  media_id string COMMENT 'Wistia hashed media id (dim_media.media_id).',
  loads bigint COMMENT 'Player loads that day: fact_media_by_date.load_count.',
  plays bigint COMMENT 'Plays that day: fact_media_by_date.play_count.',
  play_rate double COMMENT 'plays / loads, 0-1; null when there was no load.',
  hours_watched double COMMENT 'Hours watched that day: fact_media_by_date.hours_watched.',
  sessions bigint COMMENT 'Viewing sessions that day: rows of fact_events (one event is one session).',
  unique_visitors bigint COMMENT 'Distinct visitors that day: count(DISTINCT fact_events.visitor_hash).',
  mean_percent_viewed double COMMENT 'Mean share of the video watched per session, 0-1: avg(fact_events.percent_viewed); null without sessions.',
  watched_25_share double COMMENT 'Share of sessions with percent_viewed >= 0.25, 0-1; null without sessions.',
  watched_50_share double COMMENT 'Share of sessions with percent_viewed >= 0.50, 0-1; null without sessions.',
  watched_75_share double COMMENT 'Share of sessions with percent_viewed >= 0.75, 0-1; null without sessions.',
  watched_95_share double COMMENT 'Share of sessions with percent_viewed >= 0.95, 0-1; null without sessions.',
  mobile_share double COMMENT 'Share of sessions on a mobile device among those whose device is known (fact_events.is_mobile not null), 0-1; null when none is known.',
  device_known_sessions bigint COMMENT 'Sessions whose device is known (fact_events.is_mobile not null): the base of mobile_share.'
)
PARTITIONED BY (
  dt string COMMENT 'Partition: the UTC day (YYYY-MM-DD) of the Silver partitions the row summarises.'
)
STORED AS PARQUET
LOCATION 's3://{{SILVER_BUCKET}}/gold/wistia/media_daily/'
TBLPROPERTIES (
  'classification' = 'parquet',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '{{WISTIA_START_DATE}},NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://{{SILVER_BUCKET}}/gold/wistia/media_daily/dt=${dt}'
)
