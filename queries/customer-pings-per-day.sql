/*
name: customer-pings-per-day
title: Pings received per day for a customer
description: Critical and full pings received each whole day (UTC) from all of a customer's instances. Today is left out until it ends.
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
SELECT CAST(p.received_at AS DATE) AS day, p.ping_type, COUNT(*) AS pings
FROM {{pings}} AS p
JOIN {{instances}} AS i ON i.site_id = p.site_id
WHERE i.customer_id = @customer
  AND p.received_at >= CAST(@since AS TIMESTAMP)
  -- Whole days only: today would count as a whole day and draw a false dip.
  AND p.received_at < CAST(CURRENT_DATE AS TIMESTAMP)
GROUP BY 1, 2
ORDER BY 1, 2
