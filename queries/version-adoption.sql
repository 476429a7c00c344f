/*
name: version-adoption
title: Version adoption, per week
description: Instances by the version their last ping of each whole week reported. The current week is left out until it ends.
owner: "@analytics (product)"
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
  series: version
  y: instances
  x_label: Week starting
  y_label: Instances
# DuckDB has no WEEK(MONDAY) date part or DATE_SUB; its date_trunc('week') is the ISO (Monday) week.
duckdb: |
  SELECT week, version, COUNT(*) AS instances FROM (
    -- The last ping's version: MAX on the text would put 5.9 above 5.10.
    SELECT site_id, date_trunc('week', received_at)::DATE AS week, MAX_BY(version, received_at) AS version
    FROM {{pings}}
    WHERE received_at >= date_trunc('week', current_date) - INTERVAL 7 DAY * @weeks
      AND received_at < date_trunc('week', current_date)
    GROUP BY 1, 2
  ) AS latest
  GROUP BY 1, 2
  ORDER BY 1, 2
*/
SELECT week, version, COUNT(*) AS instances FROM (
  -- The last ping's version: MAX on the text would put 5.9 above 5.10.
  SELECT site_id, DATE_TRUNC(DATE(received_at), WEEK(MONDAY)) AS week, MAX_BY(version, received_at) AS version
  FROM {{pings}}
  WHERE received_at >= TIMESTAMP(DATE_SUB(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)), INTERVAL @weeks WEEK))
    -- Whole weeks only: the current week would count as a whole one and draw a false dip.
    AND received_at < TIMESTAMP(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)))
  GROUP BY 1, 2
) AS latest
GROUP BY 1, 2
ORDER BY 1, 2
