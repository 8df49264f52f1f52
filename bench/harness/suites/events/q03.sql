-- Top 10 countries by events, with their distinct users and revenue.
SELECT country,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       sum(revenue) AS revenue
FROM events
GROUP BY country
ORDER BY events DESC, country
LIMIT 10
