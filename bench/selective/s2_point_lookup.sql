SELECT event_id, event_type, country, revenue FROM demo.events WHERE event_id = 3210987
