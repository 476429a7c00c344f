/*
name: weekly-active-instances
title: Weekly active instances
description: Instances that sent at least one ping (critical or full) in each whole week, by hosting. The current week is left out until it ends.
owner: "@analytics (BizOps)"
ttl: 1h
params:
  weeks:
    type: int
    label: Weeks
    description: Whole weeks, ending with last week
    default: 12
    min: 1
    max: 13
  hosting:
    type: enum
    label: Hosting
    default: all
    options:
      - { value: all, label: All hosting }
      - { value: cloud, label: Sourcegraph cloud }
      - { value: self-hosted, label: Self-hosted }
      - { value: managed, label: Managed }
display:
  type: line
  x: week
  series: hosting
  y: instances
  x_label: Week starting
  y_label: Active instances
# DuckDB has no WEEK(MONDAY) date part or DATE_SUB; its date_trunc('week') is the ISO (Monday) week.
duckdb: |
  SELECT date_trunc('week', p.received_at)::DATE AS week, i.hosting, COUNT(DISTINCT p.site_id) AS instances
  FROM {{pings}} AS p
  JOIN {{instances}} AS i ON i.site_id = p.site_id
  WHERE p.received_at >= date_trunc('week', current_date) - INTERVAL 7 DAY * @weeks
    AND p.received_at < date_trunc('week', current_date)
    AND (@hosting = 'all' OR i.hosting = @hosting)
  GROUP BY 1, 2
  ORDER BY 1, 2
*/
SELECT DATE_TRUNC(DATE(p.received_at), WEEK(MONDAY)) AS week, i.hosting, COUNT(DISTINCT p.site_id) AS instances
FROM {{pings}} AS p
JOIN {{instances}} AS i ON i.site_id = p.site_id
WHERE p.received_at >= TIMESTAMP(DATE_SUB(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)), INTERVAL @weeks WEEK))
  -- Whole weeks only: the current week would count as a whole one and draw a false dip.
  AND p.received_at < TIMESTAMP(DATE_TRUNC(CURRENT_DATE(), WEEK(MONDAY)))
  AND (@hosting = 'all' OR i.hosting = @hosting)
GROUP BY 1, 2
ORDER BY 1, 2
