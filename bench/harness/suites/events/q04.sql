-- Top 10 users by revenue.
SELECT user_id,
       sum(revenue) AS revenue,
       count(revenue) AS paid_events
FROM events
WHERE revenue IS NOT NULL
GROUP BY user_id
ORDER BY revenue DESC, user_id
LIMIT 10
