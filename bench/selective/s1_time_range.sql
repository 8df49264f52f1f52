SELECT count(*) AS events, round(sum(duration_ms), 1) AS total_ms
FROM demo.events
WHERE event_time >= TIMESTAMPTZ '2026-01-01 01:00:00+00'
  AND event_time <  TIMESTAMPTZ '2026-01-01 01:01:00+00'
