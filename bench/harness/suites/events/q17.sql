-- Engagement histogram: how many users fall in each bucket of events per user.
SELECT CASE WHEN n = 1 THEN '1'
            WHEN n <= 5 THEN '2-5'
            WHEN n <= 20 THEN '6-20'
            WHEN n <= 100 THEN '21-100'
            ELSE '101+' END AS events_per_user,
       count(*) AS users,
       sum(n) AS events,
       min(n) AS min_events
FROM (SELECT user_id, count(*) AS n FROM events GROUP BY user_id) per_user
GROUP BY CASE WHEN n = 1 THEN '1'
              WHEN n <= 5 THEN '2-5'
              WHEN n <= 20 THEN '6-20'
              WHEN n <= 100 THEN '21-100'
              ELSE '101+' END
ORDER BY min_events
