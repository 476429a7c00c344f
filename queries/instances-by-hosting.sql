/*
name: instances-by-hosting
title: Instances by hosting
description: Every instance on record, by how it is hosted (Sourcegraph cloud, self-hosted, managed).
owner: "@analytics (BizOps)"
ttl: 1d
display:
  type: pie
  x: hosting
  y: instances
*/
SELECT hosting, COUNT(*) AS instances
FROM {{instances}}
GROUP BY hosting
ORDER BY instances DESC
