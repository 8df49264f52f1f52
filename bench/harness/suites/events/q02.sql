-- Device mix: events, average / min / max duration and revenue per device.
SELECT device,
       count(*) AS events,
       avg(duration_ms) AS avg_duration_ms,
       min(duration_ms) AS min_duration_ms,
       max(duration_ms) AS max_duration_ms,
       sum(revenue) AS revenue
FROM events
GROUP BY device
ORDER BY device
