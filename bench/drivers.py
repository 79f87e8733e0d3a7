"""The two load drivers of ``bench/http.py``, fed the same targets: wrk (Debian's ``wrk`` package,
``apt-get install wrk``), driven by a Lua script written per target, and, without it, the Python
generator (threads with keep-alive sessions), which first measures its own ceiling against an
endpoint that does nothing, so that no ratio is given where a side comes within 20 % of it.

A target is one kind of request: method, a path (``{code}`` replaced from ``codes`` in turn, each
code used once when ``consume``: a transition needs a fresh case), headers, a body.
"""

from __future__ import annotations

import itertools
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

WRK = shutil.which("wrk")


@dataclass
class Target:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    codes: list = field(default_factory=list)
    consume: bool = False

    def paths(self):
        if "{code}" not in self.path:
            return itertools.repeat(self.path)
        source = iter(self.codes) if self.consume else itertools.cycle(self.codes)
        return (self.path.replace("{code}", code) for code in source)


def measured(statuses: list[int], latencies: list[float], elapsed: float) -> dict:
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    odd = [s for s in statuses if s and not 200 <= s < 300]  # 0: nothing sent (no case left to submit)
    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "errors": sum(1 for s in statuses if s >= 500), "n": len(latencies), "odd": odd,
            "median": statistics.median(latencies) * 1000 if latencies else 0.0}


def python_load(base: str, target: Target, seconds: float, connections: int) -> dict:
    """``connections`` threads with keep-alive sessions, until time runs out."""
    stop = time.monotonic() + seconds
    paths, lock = target.paths(), threading.Lock()
    latencies: list[float] = []
    statuses: list[int] = []
    body = json.dumps(target.body) if target.body is not None else None
    headers = {**target.headers, **({"Content-Type": "application/json"} if body is not None else {})}

    def worker():
        mine, codes = [], []
        with requests.Session() as s:
            while time.monotonic() < stop:
                with lock:
                    path = next(paths, None)
                if path is None:  # every case of this side was used: build more cases
                    time.sleep(0.01)
                    codes.append(0)
                    continue
                t0 = time.perf_counter()
                try:
                    code = s.request(target.method, base + path, data=body, headers=headers, timeout=60,
                                     allow_redirects=False).status_code
                except requests.RequestException:
                    code = 599
                mine.append(time.perf_counter() - t0)
                codes.append(code)
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    return measured(statuses, latencies, time.monotonic() - started)


LUA = """
local codes = {%(codes)s}
local path, method, body = %(path)s, %(method)s, %(body)s
local headers = {%(headers)s}
local threads, made, all = %(threads)d, 0, {}
function setup(thread) thread:set("start", made); made = made + 1; all[#all + 1] = thread end
function init(args) i = tonumber(start) or 0; bad = 0 end
response = function(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
request = function()
  local p = path
  if #codes > 0 then
    local k = i %% #codes
    if %(consume)s and i >= #codes then k = #codes - 1 end
    p = string.gsub(path, "{code}", codes[k + 1])
    i = i + threads
  end
  return wrk.format(method, p, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%%d,"us":%%d,"non2xx":%%d,"socket":%%d,"p50":%%f,"p95":%%f,"p99":%%f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _lua(value) -> str:
    """A Lua string literal: JSON's escapes for quotes, backslashes and control characters are Lua's
    too; anything else is written as it is (UTF-8), since Lua has no ``\\u`` escape."""
    return json.dumps(value, ensure_ascii=False)


def wrk_load(base: str, target: Target, seconds: float, connections: int, threads: int = 2) -> dict:
    """The target driven by wrk. Every answer that is not a 2xx is counted (a redirect to the
    sign-in page too); a consumed list that runs out repeats its last code, whose answers (409,
    412) then show the run did not do the work."""
    body = json.dumps(target.body) if target.body is not None else None
    headers = {**target.headers, **({"Content-Type": "application/json"} if body is not None else {})}
    script = LUA % {"codes": ",".join(_lua(c) for c in (target.codes if "{code}" in target.path else [])),
                    "path": _lua(target.path), "method": _lua(target.method),
                    "body": _lua(body) if body is not None else "nil",
                    "headers": ",".join(f"[{_lua(k)}]={_lua(v)}" for k, v in headers.items()),
                    "threads": threads, "consume": "true" if target.consume else "false"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        done = subprocess.run([WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s",  # noqa: S603
                               "--timeout", "60s", "-s", fh.name, base], capture_output=True, text=True,
                              timeout=seconds + 120)
    finally:
        Path(fh.name).unlink()
    line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary: {done.stderr.strip()[:300]}")
    r = json.loads(line)
    elapsed = r["us"] / 1e6
    odd = [0] * (r["non2xx"] + r["socket"])  # wrk counts them, not which status each was
    return {"rps": r["requests"] / elapsed, "p50": r["p50"], "p95": r["p95"], "p99": r["p99"],
            "errors": r["socket"], "n": r["requests"], "odd": odd if odd else [], "median": r["p50"],
            "non2xx": r["non2xx"]}


def driver(prefer_python: bool = False):
    """(name, load function): wrk when installed (unless asked otherwise), else the Python generator."""
    if WRK and not prefer_python:
        return "wrk", wrk_load
    return "python", python_load
