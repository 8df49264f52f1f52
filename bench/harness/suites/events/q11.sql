-- Conversion by country: visitors, buyers and purchase rate (countries with purchases only).
SELECT country,
       count(DISTINCT user_id) AS visitors,
       count(DISTINCT CASE WHEN event_type = 'purchase' THEN user_id END) AS buyers,
       sum(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
       avg(CASE WHEN event_type = 'purchase' THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END)
         AS purchase_rate
FROM events
GROUP BY country
HAVING sum(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) > 0
ORDER BY purchase_rate DESC, country
