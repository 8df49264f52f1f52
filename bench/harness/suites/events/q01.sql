-- Events by type: events, events with revenue and distinct sessions per event type.
SELECT event_type,
       count(*) AS events,
       count(revenue) AS events_with_revenue,
       count(DISTINCT session_id) AS sessions
FROM events
GROUP BY event_type
ORDER BY events DESC, event_type
