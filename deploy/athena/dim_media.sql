-- Silver dim_media: one row per media, the latest metadata snapshot (Type-1), unpartitioned.
-- The data stack creates this table already; this DDL recreates it by hand (see README).
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.dim_media (
  media_id string,
  numeric_id bigint,
  title string,
  url string,
  channel string,
  created_at timestamp,
  updated_at timestamp,
  duration_seconds double,
  status string,
  media_type string,
  archived boolean,
  project_id bigint,
  project_name string,
  project_hashed_id string,
  thumbnail_url string,
  tags array<string>,
  snapshot_loaded_at timestamp
)
STORED AS PARQUET
LOCATION 's3://{{SILVER_BUCKET}}/silver/wistia/dim_media/'
TBLPROPERTIES ('classification' = 'parquet')
