-- Events per hour and device over the first day of data.
SELECT date_trunc('hour', event_time) AS hour,
       device,
       count(*) AS events
FROM events
WHERE event_time >= '2026-01-01 00:00:00+00:00'
  AND event_time < '2026-01-02 00:00:00+00:00'
GROUP BY date_trunc('hour', event_time), device
ORDER BY hour, device
