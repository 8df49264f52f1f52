-- Lookup of a list of event ids (the ids beyond the table's size find nothing).
SELECT event_id, event_time, user_id, event_type, url, ip, device, user_agent, revenue
FROM events
WHERE event_id IN (7, 4321, 9999, 123456, 2345678, 34567890, 59999999)
ORDER BY event_id
