-- One second of events: count, distinct users, average duration.
SELECT count(*) AS events,
       count(DISTINCT user_id) AS users,
       avg(duration_ms) AS avg_duration_ms,
       sum(revenue) AS revenue
FROM events
WHERE event_time >= '2026-01-01 00:00:02+00:00'
  AND event_time < '2026-01-01 00:00:03+00:00'
