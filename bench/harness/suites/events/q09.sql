-- Distinct users per event type (exact).
SELECT event_type,
       count(DISTINCT user_id) AS users
FROM events
GROUP BY event_type
ORDER BY users DESC, event_type
