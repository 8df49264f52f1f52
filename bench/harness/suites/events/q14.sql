-- Signup cohorts: active users, events and revenue by the month users signed up (join with users).
SELECT date_trunc('month', u.signup_time) AS cohort,
       count(DISTINCT e.user_id) AS active_users,
       count(*) AS events,
       sum(e.revenue) AS revenue
FROM events e
JOIN users u ON e.user_id = u.user_id
GROUP BY date_trunc('month', u.signup_time)
ORDER BY cohort
