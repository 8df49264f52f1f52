-- The latest 20 events of the most active user in the first ten seconds.
SELECT event_id, event_time, event_type, device, revenue
FROM events
WHERE event_time >= '2026-01-01 00:00:00+00:00'
  AND event_time < '2026-01-01 00:00:10+00:00'
  AND user_id = 1
ORDER BY event_time DESC, event_id DESC
LIMIT 20
