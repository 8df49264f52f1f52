-- Five seconds of events by type: events, users, revenue.
SELECT event_type,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       sum(revenue) AS revenue
FROM events
WHERE event_time >= '2026-01-01 00:00:04+00:00'
  AND event_time < '2026-01-01 00:00:09+00:00'
GROUP BY event_type
ORDER BY events DESC, event_type
