-- wrk script: point lookups of random event ids, and machine-readable figures at the end.
local max_id = tonumber(os.getenv("MAX_ID") or "10000000")
local path = os.getenv("LOOKUP_PATH") or "/api/v1/tables/demo/events?event_id="
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
request = function()
  return wrk.format("GET", path .. math.random(0, max_id - 1))
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.status + summary.errors.timeout
  io.write(string.format("FIGURES qps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, errors))
end
