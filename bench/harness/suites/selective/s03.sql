-- An event_id range: a thousand consecutive events summarised.
SELECT count(*) AS events,
       min(event_time) AS first_time,
       max(event_time) AS last_time,
       count(revenue) AS paid_events,
       max(duration_ms) AS max_duration_ms
FROM events
WHERE event_id >= 2000 AND event_id < 3000
