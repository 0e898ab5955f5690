"""Concurrent load on a real server for ``bench/api.py --concurrent`` and ``bench/web.py
--concurrent``: gunicorn with 2 workers on the bench database, ``wrk`` with 2 threads and 8
connections for 10 s per URL, printing requests/s, p50/p99 latency, non-2xx answers and
timeouts.

``wrk`` is the Debian package of that name (``apt-get install wrk``); the script says so and
stops when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
THREADS = 2
CONNECTIONS = 8
DURATION_S = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, *, workers: int = WORKERS):
    """A gunicorn on a free local port, serving the bench database; yields its base URL."""
    from django.conf import settings

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        # The bench process signs the session cookie it hands to wrk: the same key.
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        # The bench measures the lists, not the rate limits.
        "API_THROTTLE_ANON": "none",
        "API_THROTTLE_USER": "none",
    }
    # Tasks in-process; the cache is the bench's own Redis when it was given one (shared by
    # the workers, as in production), else each worker's local memory.
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)
    command = [
        sys.executable, "-m", "gunicorn", "citymatch.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (a degraded health is still an answer)
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cache_name() -> str:
    url = os.environ.get("REDIS_URL")
    return f"Redis {urlparse(url).netloc}" if url else "local memory per worker"


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


# Each request a URL of its own (``&fresh=<n>``, a parameter the lists ignore): no page is
# served from the list cache, every one is built.
FRESH_SCRIPT = """
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&fresh=" .. counter .. "-" .. math.random(1e9))
end
"""


def wrk(url: str, *, header: str, duration_s: int = DURATION_S, fresh: bool = False) -> dict:
    """One ``wrk`` run; requests/s, p50/p99 ms, non-2xx answers, timeouts and socket errors.

    ``fresh``: every request asks for another URL (see ``FRESH_SCRIPT``); ``url`` has a query.
    """
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    script = []
    if fresh:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(FRESH_SCRIPT)
        script = ["-s", lua.name]
    output = subprocess.run(
        [
            "wrk",
            "-t",
            str(THREADS),
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{duration_s}s",
            "--latency",
            "--timeout",
            "5s",
            "-H",
            header,
            *script,
            url,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p99": _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "non_2xx": 0,
        "timeouts": 0,
        "errors": 0,
    }
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        found["non_2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        connect, read, write, timeout = map(int, match.groups())
        found["errors"], found["timeouts"] = connect + read + write, timeout
    return found


def run_table(
    base: str, paths: list[tuple[str, str]], *, header: str, targets: dict, fresh: tuple = ()
) -> None:
    """Print one line per path; ``targets`` maps a name to its requests/s floor; the names in
    ``fresh`` ask for a new URL each request (no cached page)."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"== wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION_S}s on gunicorn with {WORKERS} "
        f"sync workers (one request at a time each); cache: {cache_name()}; "
        f"load average before: {load} =="
    )
    print(f"{'request':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'timeouts':>9}")
    for name, path in paths:
        found = wrk(base + path, header=header, fresh=name in fresh)
        floor = targets.get(name)
        verdict = "" if floor is None else (" met" if found["rps"] >= floor else " NOT met")
        verdict += f" (target ≥ {floor}/s)" if floor is not None else ""
        print(
            f"{name:44} {found['rps']:8.1f} {found['p50']:8.1f} {found['p99']:8.1f} "
            f"{found['non_2xx']:8d} {found['timeouts'] + found['errors']:9d}{verdict}"
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average after: {load} ({os.cpu_count()} CPUs)")
