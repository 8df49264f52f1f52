SELECT event_type, count(*) AS n
FROM demo.events
WHERE event_time >= TIMESTAMPTZ '2026-01-01 00:50:00+00'
  AND event_time <  TIMESTAMPTZ '2026-01-01 01:00:00+00'
GROUP BY event_type ORDER BY n DESC
