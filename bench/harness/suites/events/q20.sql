-- Live top 10: the most active users of the first minute, with their plan and country (join).
SELECT e.user_id,
       u.plan,
       u.country,
       count(*) AS events,
       max(e.event_time) AS last_seen
FROM events e
JOIN users u ON e.user_id = u.user_id
WHERE e.event_time >= '2026-01-01 00:00:00+00:00'
  AND e.event_time < '2026-01-01 00:01:00+00:00'
GROUP BY e.user_id, u.plan, u.country
ORDER BY events DESC, e.user_id
LIMIT 10
