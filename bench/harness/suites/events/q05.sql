-- Top 10 pages (URL without its query string) by page views.
SELECT split_part(url, '?', 1) AS page,
       count(*) AS views
FROM events
WHERE event_type = 'page_view'
GROUP BY split_part(url, '?', 1)
ORDER BY views DESC, page
LIMIT 10
