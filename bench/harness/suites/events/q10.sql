-- Purchase funnel per device: page views -> add to cart -> checkout -> purchase.
SELECT device,
       sum(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS page_views,
       sum(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_carts,
       sum(CASE WHEN event_type = 'checkout' THEN 1 ELSE 0 END) AS checkouts,
       sum(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
       sum(CASE WHEN event_type = 'purchase' THEN revenue ELSE 0 END) AS purchase_revenue
FROM events
GROUP BY device
ORDER BY device
