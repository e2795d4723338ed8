-- wrk script: POST one GraphQL request body and check every answer.
--
-- Usage: wrk ... -s post.lua URL -- BODY_FILE EXPECTED_BODY_LENGTH
-- An answer counts as wrong when its status is not 200 or its body length differs from
-- EXPECTED_BODY_LENGTH (the length of the answer that was verified before the load; 0 skips
-- the length check). done() prints one JSON line with the counts and latency percentiles
-- (microseconds).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  expected_length = tonumber(args[2]) or 0
  wrong = 0
end

function response(status, headers, body)
  if status ~= 200 or (expected_length > 0 and #body ~= expected_length) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local wrong_total = 0
  for _, thread in ipairs(threads) do
    wrong_total = wrong_total + thread:get("wrong")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "wrong": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, wrong_total,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
