-- Silver dim_media: one row per media, the latest metadata snapshot (Type-1), unpartitioned.
-- The data stack creates this table already; this DDL recreates it by hand (see README).
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.dim_media (
  media_id string COMMENT 'Wistia hashed media id (hashed_id); one row each.',
  numeric_id bigint COMMENT 'Wistia numeric media id (id).',
  title string COMMENT 'The media name in Wistia (name).',
  url string COMMENT 'The media page in Wistia (https://home.wistia.com/medias/...).',
  channel string COMMENT 'Marketing channel: MEDIA_CHANNELS, else derived from the name (YT -> youtube, FB -> facebook), else unknown.',
  created_at timestamp COMMENT 'When the media was created in Wistia, UTC (created).',
  updated_at timestamp COMMENT 'When the media was last updated in Wistia, UTC.',
  duration_seconds double COMMENT 'Length of the video in seconds (duration).',
  status string COMMENT 'Wistia processing status (ready, queued, failed, ...).',
  media_type string COMMENT 'Wistia media type (Video, Audio, ...).',
  archived boolean COMMENT 'True when the media is archived in Wistia.',
  project_id bigint COMMENT 'Numeric id of the Wistia project holding the media.',
  project_name string COMMENT 'Name of the Wistia project holding the media.',
  project_hashed_id string COMMENT 'Hashed id of the Wistia project.',
  thumbnail_url string COMMENT 'The media thumbnail image URL (without query string).',
  tags array<string> COMMENT 'The media tag names in Wistia.',
  snapshot_loaded_at timestamp COMMENT 'When the metadata snapshot this row comes from was pulled, UTC (Bronze load_ts).'
)
STORED AS PARQUET
LOCATION 's3://{{SILVER_BUCKET}}/silver/wistia/dim_media/'
TBLPROPERTIES ('classification' = 'parquet')
