-- wrk script: random point lookups, counting responses by HTTP status (per thread, summed in done).
local max_id = tonumber(os.getenv("MAX_ID") or "10000000")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  counts = {}
  math.randomseed(os.time() + #tostring(args))
end
function request()
  return wrk.format("GET", "/api/v1/tables/demo/events?event_id=" .. math.random(0, max_id - 1))
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  io.write(string.format("FIGURES qps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do total[status] = (total[status] or 0) + count end
  end
  local line = "STATUS"
  for status, count in pairs(total) do line = line .. string.format(" %d=%d", status, count) end
  io.write(line .. "\n")
end
