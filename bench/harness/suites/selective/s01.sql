-- Point lookup: one event by event_id.
SELECT event_id, event_time, user_id, session_id, event_type, url, country, city, device,
       duration_ms, revenue
FROM events
WHERE event_id = 4321
