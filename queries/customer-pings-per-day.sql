/*
name: customer-pings-per-day
title: Pings received per day for a customer
description: Critical and full pings received each whole day (UTC) from all of a customer's instances; a day without any is 0. Today is left out until it ends.
owner: "@analytics (CE)"
ttl: 15m
params:
  customer:
    type: customer
    label: Customer
    description: Name, alias or domain, as in /telemetry
  since:
    type: date
    label: Since
    default: -30d
    min: -365d
    max: -1d
display:
  type: line
  x: day
  series: ping_type
  y: pings
  x_label: Day (UTC)
  y_label: Pings received
*/
-- A day with no ping from the customer is a 0, not a gap the line would jump across, on every day
-- the pipeline received pings at all (a day it received none has no data, not zeros).
WITH days AS (
  SELECT DISTINCT CAST(received_at AS DATE) AS day
  FROM {{pings}}
  WHERE received_at >= CAST(@since AS TIMESTAMP)
    -- Whole days only: today would count as a whole day and draw a false dip.
    AND received_at < CAST(CURRENT_DATE AS TIMESTAMP)
),
ping_types AS (
  SELECT 'critical' AS ping_type UNION ALL SELECT 'full' AS ping_type
),
counts AS (
  SELECT CAST(p.received_at AS DATE) AS day, p.ping_type, COUNT(*) AS pings
  FROM {{pings}} AS p
  JOIN {{instances}} AS i ON i.site_id = p.site_id
  WHERE i.customer_id = @customer
    AND p.received_at >= CAST(@since AS TIMESTAMP)
    AND p.received_at < CAST(CURRENT_DATE AS TIMESTAMP)
  GROUP BY 1, 2
)
SELECT d.day, t.ping_type, COALESCE(c.pings, 0) AS pings
FROM days AS d
CROSS JOIN ping_types AS t
LEFT JOIN counts AS c ON c.day = d.day AND c.ping_type = t.ping_type
ORDER BY 1, 2
