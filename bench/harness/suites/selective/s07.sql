-- A 100 ms window of raw events, in time order.
SELECT event_id, event_time, event_type, url, country
FROM events
WHERE event_time >= '2026-01-01 00:00:07.250+00:00'
  AND event_time < '2026-01-01 00:00:07.350+00:00'
ORDER BY event_time, event_id
