-- Power users: the 100 most active users with at least 20 events.
SELECT user_id,
       count(*) AS events,
       count(DISTINCT event_type) AS event_types,
       count(revenue) AS paid_events,
       sum(revenue) AS revenue
FROM events
GROUP BY user_id
HAVING count(*) >= 20
ORDER BY events DESC, user_id
LIMIT 100
