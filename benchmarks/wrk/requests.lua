-- Requests for benchmarks/api.py, configured through the environment:
--   WRK_METHOD   GET or POST (default GET)
--   WRK_PATH     the path, e.g. /api/v1/health
--   WRK_HEADERS  a file of "Name: value" lines sent with every request (optional)
--   WRK_BODIES   a file of request bodies, one per line (optional)
--   WRK_ONCE     "1": each body is sent at most once (bodies are shared out between threads);
--                when a thread runs out it sends its last body again and counts it as "reused"
--   WRK_THREADS  the -t given to wrk, to share the bodies out
-- Every non-2xx answer is counted (wrk itself counts only >= 400) and one is kept as a sample.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  if path == nil or path == "" then
    return lines
  end
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  file:close()
  return lines
end

local requests = {}
local next_request = 1
local once = false

function init(args)
  local method = os.getenv("WRK_METHOD") or "GET"
  local path = assert(os.getenv("WRK_PATH"), "WRK_PATH is not set")
  local headers = {}
  for _, line in ipairs(read_lines(os.getenv("WRK_HEADERS"))) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  once = os.getenv("WRK_ONCE") == "1"
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  local bodies = read_lines(os.getenv("WRK_BODIES"))
  if #bodies == 0 then
    table.insert(requests, wrk.format(method, path, headers, nil))
    once = false
  else
    for i, body in ipairs(bodies) do
      -- With WRK_ONCE, thread k takes bodies k+1, k+1+n, k+1+2n, …: no body goes out twice.
      if not once or (i - 1) % nthreads == thread_index then
        table.insert(requests, wrk.format(method, path, headers, body))
      end
    end
  end
  non2xx = 0
  reused = 0
  sample = ""
end

function request()
  if next_request > #requests then
    if once then
      reused = reused + 1
      return requests[#requests]
    end
    next_request = 1
  end
  local req = requests[next_request]
  next_request = next_request + 1
  return req
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local non2xx_total, reused_total, first_sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    reused_total = reused_total + thread:get("reused")
    if first_sample == "" then
      first_sample = thread:get("sample")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d reused=%d "
      .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    non2xx_total, reused_total, e.connect, e.read, e.write, e.status, e.timeout))
  if first_sample ~= "" then
    io.write("SAMPLE " .. first_sample:gsub("\n", " ") .. "\n")
  end
end
