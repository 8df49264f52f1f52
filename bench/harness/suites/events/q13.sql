-- Revenue per plan (join with users): paying users, paid events, total and average revenue.
SELECT u.plan,
       count(DISTINCT e.user_id) AS paying_users,
       count(*) AS paid_events,
       sum(e.revenue) AS revenue,
       avg(e.revenue) AS avg_revenue
FROM events e
JOIN users u ON e.user_id = u.user_id
WHERE e.revenue IS NOT NULL
GROUP BY u.plan
ORDER BY revenue DESC, u.plan
