/*
name: version-adoption
title: Version adoption, per week
description: Instances by the newest version they reported in each week's pings.
owner: "@analytics (product)"
ttl: 6h
params:
  weeks:
    type: int
    label: Weeks
    description: Weeks back, this week included
    default: 12
    min: 1
    max: 13
display:
  type: stacked-bar
  x: week
  series: version
  y: instances
  x_label: Week starting
  y_label: Instances
# DuckDB has no WEEK(MONDAY) date part or DATE_SUB; its date_trunc('week') is the ISO (Monday) week.
duckdb: |
  SELECT week, version, COUNT(*) AS instances FROM (
    SELECT site_id, date_trunc('week', received_at)::DATE AS week, MAX(version) AS version
    FROM {{pings}}
    WHERE received_at >= date_trunc('week', current_date) - INTERVAL 7 DAY * (@weeks - 1)
    GROUP BY 1, 2
  ) AS latest
  GROUP BY 1, 2
  ORDER BY 1, 2
*/
SELECT week, version, COUNT(*) AS instances FROM (
  SELECT site_id, DATE_TRUNC(DATE(received_at), WEEK(MONDAY)) AS week, MAX(version) AS version
  FROM {{pings}}
  WHERE received_at >= TIMESTAMP(DATE_SUB(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)), INTERVAL (@weeks - 1) WEEK))
  GROUP BY 1, 2
) AS latest
GROUP BY 1, 2
ORDER BY 1, 2
