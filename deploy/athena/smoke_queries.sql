-- Smoke queries over Silver: run them in the wistia workgroup with the Silver database selected
-- (console: Workgroup <prefix>-analytics, Database wistia_silver). They are the same queries as
-- `wistia-assets query --smoke` runs locally on DuckDB (wistia_assets/catalog/smoke.py; a test
-- keeps the two identical). Each query is one statement: Athena runs one at a time.

-- name: plays_per_media_per_day
-- Plays (one Wistia event is one viewing session) and average percent viewed per media and day.
SELECT f.media_id, d.title, f.dt,
       count(*) AS plays,
       round(avg(f.percent_viewed), 3) AS avg_percent_viewed,
       count(DISTINCT f.visitor_hash) AS visitors
FROM fact_events f
LEFT JOIN dim_media d ON d.media_id = f.media_id
GROUP BY f.media_id, d.title, f.dt
ORDER BY f.dt, f.media_id;

-- name: events_per_country
SELECT coalesce(country, '(unknown)') AS country, count(*) AS events
FROM fact_events
GROUP BY 1
ORDER BY events DESC, country
LIMIT 10;

-- name: plays_by_channel
-- Plays from Wistia's daily aggregates, by the marketing channel of dim_media.
SELECT d.channel, sum(m.play_count) AS plays, sum(m.load_count) AS loads,
       round(sum(m.hours_watched), 2) AS hours_watched
FROM fact_media_by_date m
JOIN dim_media d ON d.media_id = m.media_id
GROUP BY d.channel
ORDER BY plays DESC;

-- name: media_daily_by_channel
-- The media report's daily metrics (Gold media_daily) by the marketing channel of dim_media.
SELECT d.channel, g.dt, g.plays, g.play_rate, g.unique_visitors,
       round(g.mean_percent_viewed, 3) AS mean_percent_viewed,
       round(g.mobile_share, 3) AS mobile_share
FROM media_daily g
JOIN dim_media d ON d.media_id = g.media_id
ORDER BY g.dt, d.channel;
