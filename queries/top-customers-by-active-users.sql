/*
name: top-customers-by-active-users
title: Top customers by active users
description: Customers with the most distinct users in the user-level event stream.
owner: "@analytics (sales)"
ttl: 6h
params:
  since:
    type: date
    label: Since
    default: -30d
    min: -365d
    max: today
  limit:
    type: int
    label: How many customers
    default: 10
    min: 1
    max: 50
display:
  type: bar
  x: customer
  y: active_users
  x_label: Customer
  y_label: Active users
*/
SELECT c.name AS customer, COUNT(DISTINCT e.user_id) AS active_users, COUNT(*) AS events
FROM {{events}} AS e
JOIN {{instances}} AS i ON i.site_id = e.site_id
JOIN {{customers}} AS c ON c.customer_id = i.customer_id
WHERE e.occurred_at >= CAST(@since AS TIMESTAMP)
-- By customer, not by name: two customers of one name are two rows, not one with both counts.
GROUP BY c.customer_id, c.name
ORDER BY active_users DESC, customer
LIMIT @limit
