-- Silver fact_events: one row per Wistia viewing event, deduplicated on event_key, no raw
-- personal data (visitor_hash and ip_hash are HMAC-SHA256 with the hash-key secret).
-- The data stack creates this table already; this DDL recreates it by hand (see README).
-- Partition projection: Athena computes dt/media_id partitions, no MSCK REPAIR needed.
CREATE EXTERNAL TABLE IF NOT EXISTS {{GLUE_DATABASE}}.fact_events (
  event_key string COMMENT 'The Wistia id of the viewing event (event_key); unique across the table.',
  received_at timestamp COMMENT 'When Wistia received the event, UTC (received_at, with or without milliseconds).',
  event_date date COMMENT 'The UTC date of received_at.',
  visitor_hash string COMMENT 'HMAC-SHA256 (hex) of Wistia visitor_key with the secret hash key: counts distinct visitors without the raw id.',
  ip_hash string COMMENT 'HMAC-SHA256 (hex) of the viewer IP address with the secret hash key; the IP itself is dropped.',
  percent_viewed double COMMENT 'Share of the video this session watched, 0-1 (percent_viewed from Wistia; legacy values in percent are divided by 100).',
  embed_url string COMMENT 'Page the video was embedded on (scheme, host and path; the query string, which can hold personal data, is removed).',
  embed_host string COMMENT 'Host name of embed_url, lower case.',
  country string COMMENT 'Country of the viewer as Wistia geolocates the IP, ISO 3166 alpha-2 (US); null when unknown.',
  region string COMMENT 'Region of the viewer as Wistia sent it: a name (Florida) in current payloads, a code (FL) in legacy ones; null when unknown.',
  city string COMMENT 'City of the viewer as Wistia geolocates the IP; null when unknown.',
  org string COMMENT 'Network operator of the viewer IP (org from Wistia).',
  browser string COMMENT 'Browser name from user_agent_details; null in legacy payloads, which have none.',
  browser_version string COMMENT 'Browser version from user_agent_details (text).',
  platform string COMMENT 'Operating system from user_agent_details (iOS, Windows).',
  is_mobile boolean COMMENT 'True on a mobile device (user_agent_details.mobile); null when the payload does not say.',
  media_name string COMMENT 'The media name as the event carried it.',
  conversion_type string COMMENT 'Wistia conversion_type as text (an int in legacy payloads); null when blank.',
  has_conversion boolean COMMENT 'True when the event carried conversion data (e.g. an e-mail gate was filled); the data itself is dropped.',
  payload_era string COMMENT 'legacy or current: which Wistia payload shape the record had.'
)
PARTITIONED BY (
  dt string COMMENT 'Partition: the UTC day (YYYY-MM-DD) whose Wistia window the row was pulled for.',
  media_id string COMMENT 'Partition: the Wistia hashed media id (MEDIA_IDS) whose window the row was pulled for.'
)
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
