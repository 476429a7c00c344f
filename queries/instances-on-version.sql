/*
name: instances-on-version
title: Instances on a version
description: Every instance whose current version is the given one or within it (5.4 takes 5.4.1, not 5.40), with its customer and hosting.
owner: "@analytics (CE)"
ttl: 1h
params:
  version:
    type: string
    label: Version prefix
    description: e.g. 5.4 or 5.4.1
    default: "5.4"
    max_length: 20
    pattern: '\d+(\.\d+){0,2}'
    pattern_hint: a version like 5.4 or 5.4.1
display:
  type: table
*/
SELECT c.name AS customer, i.site_id, i.hosting, i.version
FROM {{instances}} AS i
JOIN {{customers}} AS c ON c.customer_id = i.customer_id
-- Whole parts only: 5.4 takes 5.4, 5.4.1 and 5.4.1-rc.1, not 5.40.0.
WHERE i.version = @version
   OR STARTS_WITH(i.version, CONCAT(@version, '.'))
   OR STARTS_WITH(i.version, CONCAT(@version, '-'))
   OR STARTS_WITH(i.version, CONCAT(@version, '+'))
ORDER BY c.name, i.site_id
