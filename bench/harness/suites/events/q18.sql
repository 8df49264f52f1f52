-- Plan by device (join with users): events and average duration per plan and device.
SELECT u.plan,
       e.device,
       count(*) AS events,
       avg(e.duration_ms) AS avg_duration_ms,
       max(e.duration_ms) AS max_duration_ms
FROM events e
JOIN users u ON e.user_id = u.user_id
GROUP BY u.plan, e.device
ORDER BY u.plan, e.device
