/*
name: user-event-volume
title: User-level event volume
description: Events from the event logger per whole day (UTC), and the distinct users who sent them (managed and cloud instances only). Today is left out until it ends.
owner: "@analytics (product)"
ttl: 1h
params:
  since:
    type: date
    label: Since
    default: -30d
    min: -365d
    max: -1d
  event:
    type: enum
    label: Event
    default: all
    options:
      - { value: all, label: All events }
      - SearchResultsQueried
      - ViewBlob
      - ViewRepository
      - GoToDefinition
      - FindReferences
      - CodeIntelligenceHover
      - CodyChatSubmitted
      - CodyCompletionAccepted
      - SignIn
      - NotebookCreated
      - InsightsDashboardViewed
      - SavedSearchCreated
      - BatchChangeCreated
display:
  type: line
  x: day
  y: [events, active_users]
  x_label: Day (UTC)
  y_label: Count
*/
SELECT CAST(occurred_at AS DATE) AS day, COUNT(*) AS events, COUNT(DISTINCT user_id) AS active_users
FROM {{events}}
WHERE occurred_at >= CAST(@since AS TIMESTAMP)
  -- Whole days only: today would count as a whole day and draw a false dip.
  AND occurred_at < CAST(CURRENT_DATE AS TIMESTAMP)
  AND (@event = 'all' OR event_name = @event)
GROUP BY 1
ORDER BY 1
