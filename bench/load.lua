-- wrk script for bench/load.sh and bench/http_compare.py: cycle through the request paths in the file given
-- after `--`, count every response that is not 2xx, and print one machine-readable summary line
-- (LOAD key=value ...) that they read.
--   wrk -c 64 -d 30s -s bench/load.lua http://127.0.0.1:8765 -- paths.txt

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  -- Each thread starts at a different place in the list, so that the connections do not move in lockstep.
  position = (id * 7) % #paths
  non2xx = 0
  responses = 0
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 5 then
      io.stderr:write(string.format("non-2xx: %d %s\n", status, paths[position]))
    end
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "LOAD requests=%d seconds=%.3f rps=%.2f mean_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d "
      .. "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx_total,
    errors.connect, errors.read, errors.write, errors.timeout
  ))
end
