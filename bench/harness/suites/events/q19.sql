-- Revenue distribution per event type: paid and unpaid events, min / average / max revenue.
SELECT event_type,
       count(revenue) AS paid_events,
       count(*) - count(revenue) AS unpaid_events,
       min(revenue) AS min_revenue,
       avg(revenue) AS avg_revenue,
       max(revenue) AS max_revenue
FROM events
GROUP BY event_type
ORDER BY event_type
