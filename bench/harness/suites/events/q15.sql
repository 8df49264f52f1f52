-- The first five minutes: events, users and revenue per event type and device in a time range.
SELECT event_type,
       device,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       sum(revenue) AS revenue
FROM events
WHERE event_time >= '2026-01-01 00:00:00+00:00'
  AND event_time < '2026-01-01 00:05:00+00:00'
GROUP BY event_type, device
ORDER BY event_type, device
