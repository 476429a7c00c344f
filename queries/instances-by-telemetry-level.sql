/*
name: instances-by-telemetry-level
title: Instances by telemetry level, per week
description: >-
  How many instances were at each telemetry level in each whole week: user-level events
  (Full pings + user-level data), full pings, critical pings only, or nothing at all
  (No telemetry, counting instances that existed that week). The current week is left
  out until it ends.
owner: "@analytics (BizOps)"
ttl: 6h
params:
  weeks:
    type: int
    label: Weeks
    description: Whole weeks, ending with last week
    default: 12
    min: 1
    max: 13
display:
  type: stacked-bar
  x: week
  series: level
  y: instances
  x_label: Week starting
  y_label: Instances
# DuckDB has no WEEK(MONDAY) date part, GENERATE_DATE_ARRAY or DATE_SUB; its date_trunc('week') is the ISO (Monday) week.
duckdb: |
  WITH bounds AS (
    SELECT date_trunc('week', current_date)::DATE AS this_week, (date_trunc('week', current_date) - INTERVAL 7 DAY * @weeks)::DATE AS start_week
  ),
  weeks AS (
    SELECT d::DATE AS week FROM bounds, generate_series(bounds.start_week::TIMESTAMP, bounds.this_week::TIMESTAMP - INTERVAL 7 DAY, INTERVAL 7 DAY) AS t(d)
  ),
  p AS (
    SELECT site_id, date_trunc('week', received_at)::DATE AS week, MAX(CASE WHEN ping_type = 'full' THEN 1 ELSE 0 END) AS full_ping
    FROM {{pings}}, bounds
    WHERE received_at >= bounds.start_week AND received_at < bounds.this_week
    GROUP BY 1, 2
  ),
  e AS (
    SELECT DISTINCT site_id, date_trunc('week', occurred_at)::DATE AS week
    FROM {{events}}, bounds
    WHERE occurred_at >= bounds.start_week AND occurred_at < bounds.this_week
  )
  SELECT w.week,
    CASE WHEN e.site_id IS NOT NULL THEN 'Full pings + user-level data'
         WHEN p.full_ping = 1 THEN 'Full pings'
         WHEN p.site_id IS NOT NULL THEN 'Critical pings'
         ELSE 'No telemetry' END AS level,
    COUNT(*) AS instances
  FROM weeks AS w
  JOIN {{instances}} AS i ON i.created_at < w.week + INTERVAL 7 DAY
  LEFT JOIN p ON p.site_id = i.site_id AND p.week = w.week
  LEFT JOIN e ON e.site_id = i.site_id AND e.week = w.week
  -- A week the pipeline received no pings at all has no data, not every instance at No telemetry.
  WHERE w.week IN (SELECT week FROM p)
  GROUP BY 1, 2
  ORDER BY 1, 2
*/
-- Whole weeks only, ending with last week: the current week would count as a whole one and draw a false dip.
WITH bounds AS (
  SELECT DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)) AS this_week,
    DATE_SUB(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)), INTERVAL @weeks WEEK) AS start_week
),
weeks AS (
  SELECT week FROM bounds, UNNEST(GENERATE_DATE_ARRAY(bounds.start_week, DATE_SUB(bounds.this_week, INTERVAL 1 WEEK), INTERVAL 1 WEEK)) AS week
),
p AS (
  SELECT site_id, DATE_TRUNC(DATE(received_at), WEEK(MONDAY)) AS week, MAX(CASE WHEN ping_type = 'full' THEN 1 ELSE 0 END) AS full_ping
  FROM {{pings}}, bounds
  WHERE received_at >= TIMESTAMP(bounds.start_week) AND received_at < TIMESTAMP(bounds.this_week)
  GROUP BY 1, 2
),
e AS (
  SELECT DISTINCT site_id, DATE_TRUNC(DATE(occurred_at), WEEK(MONDAY)) AS week
  FROM {{events}}, bounds
  WHERE occurred_at >= TIMESTAMP(bounds.start_week) AND occurred_at < TIMESTAMP(bounds.this_week)
)
SELECT w.week,
  CASE WHEN e.site_id IS NOT NULL THEN 'Full pings + user-level data'
       WHEN p.full_ping = 1 THEN 'Full pings'
       WHEN p.site_id IS NOT NULL THEN 'Critical pings'
       ELSE 'No telemetry' END AS level,
  COUNT(*) AS instances
FROM weeks AS w
JOIN {{instances}} AS i ON i.created_at < TIMESTAMP(DATE_ADD(w.week, INTERVAL 7 DAY))
LEFT JOIN p ON p.site_id = i.site_id AND p.week = w.week
LEFT JOIN e ON e.site_id = i.site_id AND e.week = w.week
-- A week the pipeline received no pings at all has no data, not every instance at No telemetry.
WHERE w.week IN (SELECT week FROM p)
GROUP BY 1, 2
ORDER BY 1, 2
