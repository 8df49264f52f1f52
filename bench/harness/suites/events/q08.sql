-- Revenue per day and event type: paid events, total and average revenue.
SELECT date_trunc('day', event_time) AS day,
       event_type,
       count(revenue) AS paid_events,
       sum(revenue) AS revenue,
       avg(revenue) AS avg_revenue
FROM events
GROUP BY date_trunc('day', event_time), event_type
ORDER BY day, event_type
LIMIT 1000
