-- Active users and events per customer segment (join with users).
SELECT u.segment,
       count(DISTINCT e.user_id) AS active_users,
       count(*) AS events,
       avg(e.duration_ms) AS avg_duration_ms
FROM events e
JOIN users u ON e.user_id = u.user_id
GROUP BY u.segment
ORDER BY active_users DESC, u.segment
