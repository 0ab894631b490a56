"""Load test of ``familyphoto serve`` on loopback: /predict latency and throughput, /health under load.

    .venv/bin/python bench/load.py [--weights DIR] [--levels 1,4,16] [--requests 48] [--max-seconds 600]

Trains family-dev into a temp dir (unless --weights is given), starts the service on a free
127.0.0.1 port and waits for /health to say ready. Then, per concurrency level, sends
--requests POST /predict?crops=false in total from that many concurrent clients, cycling
through family-dev/photos and jurassic6/photos, while a separate client polls GET /health
every 0.5 s. Prints one row per level; exits 1 if any request failed (non-200 or exception).
No new request is sent after --max-seconds; each request times out after --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import mimetypes
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
FAMILYPHOTO = Path(sys.executable).parent / "familyphoto"
PHOTO_DIRS = ["family-dev/photos", "jurassic6/photos"]
HEALTH_EVERY_S = 0.5


@dataclass
class LevelResult:
    level: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: list[str] = field(default_factory=list)
    health: list[float] = field(default_factory=list)  # seconds
    health_errors: int = 0
    wall: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.latencies) + len(self.errors)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_photos(data: Path) -> list[tuple[str, bytes, str]]:
    paths = sorted(p for d in PHOTO_DIRS for p in (data / d).iterdir() if p.is_file())
    if not paths:
        sys.exit(f"no photos under {data} ({', '.join(PHOTO_DIRS)})")
    return [(p.name, p.read_bytes(), mimetypes.guess_type(p.name)[0] or "application/octet-stream") for p in paths]


def train(data: Path, weights: Path) -> None:
    print(f"training family-dev into {weights} ...", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(FAMILYPHOTO), "train", str(data / "family-dev/enroll"), "--weights", str(weights)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"training failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"trained in {time.perf_counter() - t0:.1f} s", flush=True)


def wait_ready(base: str, server: subprocess.Popen, timeout: float) -> float:
    """Seconds until /health says ready; raises if the server exits or the timeout passes."""
    t0 = time.perf_counter()
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - t0 < timeout:
            if server.poll() is not None:
                raise RuntimeError(f"server exited with {server.returncode} before it was ready")
            try:
                if client.get(f"{base}/health").json().get("ready"):
                    return time.perf_counter() - t0
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
    raise RuntimeError(f"server not ready after {timeout:.0f} s")


async def run_level(
    base: str, level: int, total: int, photos: list[tuple[str, bytes, str]], deadline: float, timeout: float
) -> LevelResult:
    result = LevelResult(level)
    counter = itertools.count()
    done = asyncio.Event()

    async def client_loop(client: httpx.AsyncClient) -> None:
        while (i := next(counter)) < total and time.monotonic() < deadline:
            name, body, mime = photos[i % len(photos)]
            t0 = time.perf_counter()
            try:
                r = await client.post(f"{base}/predict", params={"crops": "false"}, files={"file": (name, body, mime)})
                if r.status_code == 200 and "present" in r.json():
                    result.latencies.append(time.perf_counter() - t0)
                else:
                    result.errors.append(f"{name}: HTTP {r.status_code} {r.text[:200]}")
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                result.errors.append(f"{name}: {type(exc).__name__}: {exc}")

    async def health_loop() -> None:
        async with httpx.AsyncClient(timeout=timeout) as client:
            while not done.is_set():
                t0 = time.perf_counter()
                try:
                    r = await client.get(f"{base}/health")
                    if r.status_code == 200:
                        result.health.append(time.perf_counter() - t0)
                    else:
                        result.health_errors += 1
                except httpx.HTTPError:
                    result.health_errors += 1
                try:
                    await asyncio.wait_for(done.wait(), HEALTH_EVERY_S)
                except TimeoutError:
                    pass

    limits = httpx.Limits(max_connections=level, max_keepalive_connections=level)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        poller = asyncio.create_task(health_loop())
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(level)))
        result.wall = time.perf_counter() - t0
        done.set()
        await poller
    return result


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def print_table(results: list[LevelResult]) -> None:
    head = f"{'level':>5} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>6} {'health p50 ms':>13} {'health max ms':>13} {'health n':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for r in results:
        rate = len(r.latencies) / r.wall if r.wall else math.nan
        print(
            f"{r.level:>5} {r.sent:>8} {len(r.errors):>6} {ms(percentile(r.latencies, 50)):>8} "
            f"{ms(percentile(r.latencies, 95)):>8} {rate:>6.2f} {ms(percentile(r.health, 50)):>13} "
            f"{ms(max(r.health, default=math.nan)):>13} {f'{len(r.health)}/{r.health_errors}':>8}"
        )
    print("(health n = successful polls / failed polls)")


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main() -> int:
    default_data = os.environ.get("FAMILYPHOTO_TEST_DATA", str(ROOT.parent / "shared/data"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(default_data), help="test data root")
    parser.add_argument("--weights", type=Path, help="serve this trained family (default: train family-dev)")
    parser.add_argument("--levels", default="1,4,16", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=48, help="requests per level")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long")
    parser.add_argument("--timeout", type=float, default=120, help="per-request timeout (s)")
    args = parser.parse_args()
    start = time.monotonic()  # --max-seconds counts from here
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    photos = load_photos(args.data.resolve())
    print(
        f"{len(photos)} photos, levels {levels}, {args.requests} requests each, cores {os.cpu_count()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="familyphoto-load-") as tmp_name:
        tmp = Path(tmp_name)
        weights = args.weights
        if weights is None:
            weights = tmp / "weights"
            train(args.data.resolve(), weights)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = tmp / "server.log"
        env = {k: v for k, v in os.environ.items() if k != "FAMILYPHOTO_API_KEY"}  # loopback, no key
        cmd = [str(FAMILYPHOTO), "serve", "--weights", str(weights), "--data", str(tmp / "data")]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        with open(log_path, "wb") as log:
            server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        results: list[LevelResult] = []
        server_failed = False
        try:
            print(f"server ready in {wait_ready(base, server, 120):.1f} s on port {port}", flush=True)
            deadline = start + args.max_seconds
            for level in levels:
                if time.monotonic() >= deadline:
                    print(f"--max-seconds reached; skipping level {level}")
                    break
                r = asyncio.run(run_level(base, level, args.requests, photos, deadline, args.timeout))
                results.append(r)
                print(f"level {level:>2}: {r.sent} requests in {r.wall:.1f} s, {len(r.errors)} errors", flush=True)
                if server.poll() is not None:
                    raise RuntimeError(f"server exited with {server.returncode} during level {level}")
        except RuntimeError as exc:
            print(f"ERROR: {exc}\n--- server log (tail) ---\n{tail(log_path)}", file=sys.stderr)
            server_failed = True
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    if results:
        print_table(results)
    failed = [e for r in results for e in r.errors]
    for err in failed[:10]:
        print(f"  failed: {err}")
    if not server_failed and (any(r.sent < args.requests for r in results) or len(results) < len(levels)):
        print("note: --max-seconds cut the run short")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed or server_failed else 0


if __name__ == "__main__":
    sys.exit(main())
