-- Five seconds of events: the 10 longest.
SELECT event_id, event_time, user_id, event_type, duration_ms
FROM events
WHERE event_time >= '2026-01-01 00:00:01+00:00'
  AND event_time < '2026-01-01 00:00:06+00:00'
ORDER BY duration_ms DESC, event_id
LIMIT 10
