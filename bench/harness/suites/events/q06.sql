-- Events per minute over the first hour of data.
SELECT date_trunc('minute', event_time) AS minute,
       count(*) AS events
FROM events
WHERE event_time >= '2026-01-01 00:00:00+00:00'
  AND event_time < '2026-01-01 01:00:00+00:00'
GROUP BY date_trunc('minute', event_time)
ORDER BY minute
