"""The full match CSV download at 10,000 and 34,000 cities: prints figures, never a test.

For each size, loads the cities and a full scoring run into a bench database of its own (the
loader of ``bench/api.py``; reused when already there), then downloads the unfiltered match
CSV of the match browser as an officer would (Django's WSGI handler: every middleware, the
session; no socket) and prints the time to the first byte, to the first data row and to the
end, the rows and megabytes written, and the peak growth of the process's resident memory
while streaming (Linux: the high-water mark is reset before the download, then read from
/proc/self/status). Targets: first byte within 1 s, peak growth within 50 MB.

    .venv/bin/python bench/exports.py                      # 10,000 and 34,000 cities
    .venv/bin/python bench/exports.py --cities 10000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_exportbench .venv/bin/python bench/exports.py

Each size uses its own database (the URL's name with the size appended). Never point it at a
database whose data you want to keep.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api as api_bench  # noqa: E402  (the loader of bench/api.py)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cm_exportbench"
FIRST_BYTE_TARGET_S = 1.0
MEMORY_TARGET_MB = 50


def _resident_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (the high-water mark) of this process, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} in /proc/self/status: this bench reads Linux's figures")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current resident size (Linux 4.0+).
    Path("/proc/self/clear_refs").write_text("5")


def download(path: str) -> dict[str, float]:
    """Stream one download through the WSGI handler, as a signed-in officer."""
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client, RequestFactory

    user, _ = get_user_model().objects.get_or_create(username="bench-officer")
    client = Client()
    client.force_login(user)
    environ = RequestFactory().get(path).environ
    environ["HTTP_COOKIE"] = client.cookies.output(header="", sep="; ").strip()
    environ["wsgi.input"] = io.BytesIO(b"")
    handler = WSGIHandler()

    _reset_peak()
    baseline = _resident_kb("VmRSS")
    started = time.perf_counter()
    chunks = iter(handler(environ, lambda status, headers, *args: None))
    first = next(chunks)
    first_byte = time.perf_counter() - started
    size, lines, first_row = len(first), first.count(b"\n"), None
    for chunk in chunks:
        if first_row is None and lines >= 1:
            first_row = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - started
    peak = (_resident_kb("VmHWM") - baseline) * 1024
    return {
        "first_byte_s": first_byte,
        "first_row_s": first_row or total,
        "total_s": total,
        "rows": lines - 1,
        "megabytes": size / 1e6,
        "peak_mb": peak / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, action="append", help="Sizes (10,000 and 34,000).")
    parser.add_argument("--reload", action="store_true", help="Load cities and run again.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    sizes = args.cities or [10_000, 34_000]
    if len(sizes) > 1:
        # One process per size: Django is set up once per process, on one database.
        for size in sizes:
            command = [sys.executable, __file__, "--cities", str(size)]
            command += ["--database-url", args.database_url] + (["--reload"] if args.reload else [])
            if os.spawnv(os.P_WAIT, sys.executable, command):
                raise SystemExit(f"the bench at {size:,} cities failed")
        return
    (size,) = sizes
    api_bench.setup(f"{args.database_url}_{size}")
    api_bench.load(size, reload=args.reload)
    api_bench.analyze()
    # Warm (connection, session, the first plans) on a small download.
    download("/matches/?format=csv&scope=all&min_score=99")
    figures = download("/matches/?format=csv&scope=all")
    first_ok = "ok" if figures["first_byte_s"] <= FIRST_BYTE_TARGET_S else "OVER TARGET"
    memory_ok = "ok" if figures["peak_mb"] <= MEMORY_TARGET_MB else "OVER TARGET"
    print(
        f"{size:,} cities: {figures['rows']:,} rows, {figures['megabytes']:.1f} MB; "
        f"first byte {figures['first_byte_s'] * 1000:.0f} ms ({first_ok}), first row "
        f"{figures['first_row_s'] * 1000:.0f} ms, whole file {figures['total_s']:.1f} s; "
        f"peak memory growth {figures['peak_mb']:.1f} MB ({memory_ok}); "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
