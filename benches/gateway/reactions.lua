-- wrk script: POST reactions through the gateway, one message id per request (ids cycle over
-- WA_IDS per thread, so the per-message debounce never coalesces two requests in a row).
-- Environment: WA_TOKEN (API key with `send`), WA_SESSION (session id), WA_CHAT (the chat,
-- default Bob of run.sh), WA_IDS (ids per thread before they repeat, default 1000000).
local token = os.getenv("WA_TOKEN")
local session = os.getenv("WA_SESSION")
local chat = os.getenv("WA_CHAT") or "15550002222@s.whatsapp.net"
local ids = tonumber(os.getenv("WA_IDS") or "1000000")
local body = '{"chat":"' .. chat .. '","sender":"","emoji":"\240\159\145\141"}'
local headers = {
  ["Authorization"] = "Bearer " .. (token or ""),
  ["Content-Type"] = "application/json",
}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local counter = 0

function request()
  counter = counter + 1
  local mid = string.format("3EB0%02X%012X", tid or 0, counter % ids)
  local path = "/api/v1/sessions/" .. session .. "/messages/" .. mid .. "/reaction"
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests %d  errors(connect %d, read %d, write %d, status %d, timeout %d)\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("rps %.0f  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
