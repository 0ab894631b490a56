"""Issue 14's targets for the library, measured against a real ``familyphoto serve``: index speed, rescans,
query latency, re-deciding after a training, memory, and kill -9 resilience. Prints figures; no test.

    PYTHONPATH=. .venv/bin/python bench/library_scale.py [--data ../shared/data] [--photos 10000] [--extra N]
                                                   [--kill-after N] [--keep] [--skip-sort] [--skip-kill]

The library (in a temp dir, real files: the scan does not follow links out of its folders) is the
shared photos repeated until --photos, as bench/sort.py does: rep00 plain copies, every later repeat
copies with bytes appended after the image data (same pixels, another sha256). The family is
``familyphoto enrol family-dev/enroll --data DATA``. Every service runs on a free 127.0.0.1 port with
FAMILYPHOTO_LIBRARY_ROOTS=[LIB, EXTRA], FAMILYPHOTO_RETRAIN_AFTER=0 and the default workers (all cores);
the code measured is this checkout's (PYTHONPATH is set for every command). In order:

  sort       familyphoto sort LIB DST --weights DATA/weights --workers <cores>  (the reference photos/s;
             its CPU per photo, and the CPU other processes took from the machine meanwhile)
  index      POST /library/scan, the job polled to its end: photos/s, faces stored, the service's
             memory (whole process tree, RSS and PSS, sampled every 0.2 s; its main process's RSS as
             the scan goes, to see whether it grows) during and after; CPU per photo of the service's
             main process and of its workers, and the other processes' CPU meanwhile
  rescan     POST /library/scan again, nothing changed
  queries    GET /library/photos?member=X (the member with most photos), ?member=X&member=Y (all,
             any), GET /people, GET /library: --queries requests each, one at a time, p50/p95/max
  scanning   the same queries while a scan of --extra new photos (in EXTRA) runs (informational);
             then those photos are deleted and EXTRA scanned again (the library is back to --photos)
  train      POST /train, polled every 10 ms: the job's time, and its "deciding the library" stage
             (from the first poll that sees the stage to the job's end)
  kill (a)   a fresh data folder: a scan killed with kill -9 (the service's process group) after
             --kill-after photos; the service started again must resume it by itself and end with
             every photo indexed exactly once (the database read too: photos, distinct paths, faces)
  kill (b)   a few faces named (a member, another member, null), POST /train, kill -9 as soon as the
             job is "deciding the library"; started again, a "decide" job must run and finish (found
             in the jobs table: the API does not list it) and every named face keep its name
A table at the end. Exit 1 if a kill check FAILED. About 25 minutes for 10,000 photos on 2 cores (sort
and index ~6 minutes each, the resumed scan of kill (a) as long again); 10,000 photos hold ~12,700 faces.
The machine should be otherwise idle: the "other processes meanwhile" rows say how far it was not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, TreeMemorySampler, default_data, percentile, repeat_photos, tree_memory_mb  # noqa: E402
from bench.load import free_port, wait_ready  # noqa: E402
from bench.sort import base_photos, cache_line, check, run_sampled  # noqa: E402

FAMILYPHOTO = Path(sys.executable).parent / "familyphoto"
DECIDE_STAGE = "deciding the library"  # api.services.library.DECIDE_STAGE
INTERRUPTED = "interrupted: the service stopped"
READY_TIMEOUT = 300  # s: the service's start (models) on a busy machine
REQUEST_TIMEOUT = 120


# --- the service -------------------------------------------------------------------------------


class Service:
    """``familyphoto serve --data DATA`` in a process group of its own, on a free loopback port."""

    def __init__(self, data: Path, roots: list[Path], log: Path) -> None:
        self.data, self.roots, self.log = data, roots, log
        self.proc: subprocess.Popen | None = None
        self.client: httpx.Client | None = None

    def start(self) -> float:
        """Start and wait until /health says ready; the seconds that took."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYPHOTO_")}
        env |= {
            "FAMILYPHOTO_LIBRARY_ROOTS": json.dumps([str(r) for r in self.roots]),
            "FAMILYPHOTO_RETRAIN_AFTER": "0",  # naming faces never starts a training by itself
        }
        cmd = [str(FAMILYPHOTO), "serve", "--data", str(self.data), "--host", "127.0.0.1", "--port", str(port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            seconds = wait_ready(base, self.proc, READY_TIMEOUT)
        except RuntimeError as exc:
            self.kill9()
            sys.exit(f"the service did not start: {exc}\n{tail(self.log)}")
        self.client = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT)
        return seconds

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def get(self, path: str, **params: Any) -> Any:
        return self._json(self.http.get(path, params=params or None))

    def post(self, path: str, body: Any = None) -> Any:
        return self._json(self.http.post(path, json=body))

    @property
    def http(self) -> httpx.Client:
        assert self.client is not None
        return self.client

    def _json(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            raise RuntimeError(f"{r.request.method} {r.request.url.path}: HTTP {r.status_code} {r.text[:500]}")
        return r.json()

    def stop(self) -> None:
        """SIGTERM, then (after 30 s) SIGKILL to the whole group."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._reap_group()

    def kill9(self) -> float:
        """kill -9 the service's process group (the service and its scan workers at once); when it was sent
        (perf_counter)."""
        sent = time.perf_counter()
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self.client is not None:
            self.client.close()
            self.client = None
        self._reap_group()
        return sent

    def _reap_group(self) -> None:
        """Wait (up to 10 s) until no process of the group is left, so the data folder's lock is free."""
        if self.proc is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def process_rss_mb(pid: int) -> float:
    """VmRSS of one process (MB)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def tree_cpu_seconds(root: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of ``root`` and each of its live descendants, by pid."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        if pid in times:
            out[pid] = times[pid]
    return out


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores: user, system, irq, steal) since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and its children that have ended (a finished command, the sampler)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


class OthersCpu:
    """CPU the rest of the machine used while the ``with`` block ran: all of it, less this process, its
    ended children and ``measured`` (a live process tree's CPU, set before the block ends); a busy machine
    makes the figures measured meanwhile slower than they are."""

    def __init__(self, cores: int) -> None:
        self.cores, self.measured, self.seconds, self.wall = cores, 0.0, math.nan, math.nan

    def __enter__(self) -> Self:
        self._busy, self._own, self._t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._t0
        self.seconds = max(0.0, machine_busy_s() - self._busy - (own_cpu_s() - self._own) - self.measured)

    def __str__(self) -> str:
        return f"{self.seconds:.1f} core-s, {100 * self.seconds / (self.wall * self.cores):.0f}% of the machine"


def wait_job(
    service: Service,
    job_id: str,
    *,
    interval: float,
    timeout: float = 7200,
    on_poll: Callable[[dict], None] | None = None,
) -> dict:
    """Poll /jobs/{id} every ``interval`` s until it has finished; the finished job."""
    deadline = time.monotonic() + timeout
    while True:
        if not service.alive():
            sys.exit(f"the service died while job {job_id} ran:\n{tail(service.log)}")
        job = service.get(f"/jobs/{job_id}")
        if on_poll is not None:
            on_poll(job)
        if job["state"] in ("succeeded", "failed"):
            return job
        if time.monotonic() > deadline:
            sys.exit(f"job {job_id} not finished after {timeout:.0f} s: {job}")
        time.sleep(interval)


def enrol(data: Path, family: Path, log: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([str(FAMILYPHOTO), "enrol", str(family), "--data", str(data)], capture_output=True, text=True)
    log.write_text(done.stdout + done.stderr)
    if done.returncode:
        sys.exit(f"familyphoto enrol failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # what, figure, target
    checks: list[tuple[bool, str]] = field(default_factory=list)

    def row(self, what: str, figure: str, target: str = "") -> None:
        self.rows.append((what, figure, target))

    def check(self, ok: bool, what: str) -> bool:
        self.checks.append((ok, what))
        print(f"  {'PASS' if ok else 'FAIL'}: {what}", flush=True)
        return ok


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def say(text: str) -> None:
    print(text, flush=True)


# --- queries -----------------------------------------------------------------------------------

Query = tuple[str, str, dict[str, Any]]  # label, path, params


def queries_for(service: Service) -> list[Query]:
    people = service.get("/people")
    ranked = [p["name"] for p in sorted(people, key=lambda p: -p["photos"])]
    x, y = ranked[0], ranked[1]
    say("  members by photos: " + ", ".join(f"{p['name']} {p['photos']}" for p in people))
    return [
        (f"photos member={x}", "/library/photos", {"member": x, "limit": 50}),
        (f"photos {x}+{y} all", "/library/photos", {"member": [x, y], "match": "all", "limit": 50}),
        (f"photos {x}+{y} any", "/library/photos", {"member": [x, y], "match": "any", "limit": 50}),
        ("people", "/people", {}),
        ("library status", "/library", {}),
    ]


def timed_get(service: Service, path: str, params: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    r = service.http.get(path, params=params)
    seconds = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: HTTP {r.status_code} {r.text[:300]}")
    return seconds


def latencies(service: Service, queries: list[Query], n: int) -> dict[str, list[float]]:
    """``n`` requests of each query, one at a time (after 5 unmeasured ones each)."""
    out: dict[str, list[float]] = {}
    for label, path, params in queries:
        for _ in range(5):
            timed_get(service, path, params)
        out[label] = [timed_get(service, path, params) for _ in range(n)]
    return out


def latencies_while(
    service: Service, queries: list[Query], n: int, running: Callable[[], bool]
) -> dict[str, list[float]]:
    """The queries in turn while ``running()`` (asked about once a second), up to ``n`` of each."""
    out: dict[str, list[float]] = {label: [] for label, _, _ in queries}
    asked = 0.0
    while any(len(v) < n for v in out.values()):
        if time.monotonic() - asked >= 1.0:
            if not running():
                break
            asked = time.monotonic()
        for label, path, params in queries:
            if len(out[label]) < n:
                out[label].append(timed_get(service, path, params))
    return out


def print_latencies(title: str, measured: dict[str, list[float]]) -> None:
    say(f"  {title}")
    say(f"    {'query':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in measured.items():
        say(
            f"    {label:<34} {len(values):>5} {ms(percentile(values, 50)):>8} {ms(percentile(values, 95)):>8} "
            f"{ms(max(values, default=math.nan)):>8}"
        )


# --- the steps ---------------------------------------------------------------------------------


def run_sort(fig: Figures, lib: Path, weights: Path, tmp: Path, photos: int, cores: int) -> float | None:
    dst = tmp / "sort-dst"
    cmd = [FAMILYPHOTO, "sort", lib, dst, "--weights", weights, "--workers", str(cores)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with OthersCpu(cores) as others:
        seconds, code, output, rss, pss = run_sampled(cmd, tmp / "sort.log")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    check("familyphoto sort", code, output)
    rate = photos / seconds
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # the command and its workers
    say(
        f"familyphoto sort: {photos} photos in {seconds:.1f} s, {rate:.2f} photos/s, peak tree memory {rss:.0f} MB RSS "
        f"({pss:.0f} MB PSS), CPU {cpu:.1f} s ({1000 * cpu / photos:.1f} ms/photo); {cache_line(output)}"
    )
    say(f"  other processes on the machine meanwhile: {others}")
    fig.row("familyphoto sort (reference)", f"{seconds:.1f} s, {rate:.2f} photos/s", "")
    fig.row("  other processes meanwhile", str(others), "")
    fig.row("  sort CPU per photo (command + workers)", f"{1000 * cpu / photos:.1f} ms "
            f"(all {cores} cores: {cores * photos / cpu:.1f} photos/s)")
    shutil.rmtree(dst)
    return rate


def run_index(fig: Figures, service: Service, photos: int, sort_rate: float | None, cores: int) -> dict:
    say("index: POST /library/scan")
    trend: list[tuple[float, int, float, float]] = []  # seconds, analysed, main RSS, tree RSS
    t0 = time.perf_counter()
    next_sample = 0.0

    first_in: list[tuple[float, int]] = []  # when the first photos were in (start-up: workers, models)
    cpu: dict[int, float] = {}  # pid: CPU seconds, the last seen of each process of the tree
    cpu_before = tree_cpu_seconds(service.pid)

    def on_poll(job: dict) -> None:
        nonlocal next_sample
        now = time.perf_counter() - t0
        cpu.update(tree_cpu_seconds(service.pid))
        analysed = (job.get("result") or {}).get("analysed", 0)
        if analysed and not first_in:
            first_in.append((now, analysed))
        if now >= next_sample:
            trend.append((now, analysed, process_rss_mb(service.pid), tree_memory_mb(service.pid)[0]))
            next_sample = now + 5

    with OthersCpu(cores) as others, TreeMemorySampler(service.pid, 0.2) as sampler:
        t0 = time.perf_counter()
        job_id = service.post("/library/scan")["job_id"]
        job = wait_job(service, job_id, interval=0.25, on_poll=on_poll)
        seconds = time.perf_counter() - t0
        others.measured = sum(v - cpu_before.get(pid, 0.0) for pid, v in cpu.items())
    if job["state"] != "succeeded":
        sys.exit(f"the scan failed: {job['error']}\n{tail(service.log)}")
    result = job["result"]
    status = service.get("/library")
    rate = photos / seconds
    say(
        f"  {result['seen']} seen, {result['analysed']} analysed, {result['skipped']} skipped in {seconds:.1f} s: "
        f"{rate:.2f} photos/s; library: {status['photos']} photos, {status['faces']} faces"
    )
    if first_in:
        (start_s, start_n), = first_in
        say(
            f"  start-up until the first photo was in: {start_s:.1f} s; from then on "
            f"{(result['analysed'] - start_n) / (seconds - start_s):.2f} photos/s"
        )
    main_cpu = cpu.get(service.pid, 0.0) - cpu_before.get(service.pid, 0.0)
    workers_cpu = sum(v - cpu_before.get(pid, 0.0) for pid, v in cpu.items() if pid != service.pid)
    say(
        f"  CPU during the scan: service main process {main_cpu:.1f} s ({1000 * main_cpu / photos:.1f} ms/photo), "
        f"its workers {workers_cpu:.1f} s ({1000 * workers_cpu / photos:.1f} ms/photo); wall {seconds:.1f} s"
    )
    say(f"  other processes on the machine meanwhile: {others}")
    say(f"  peak tree memory during the scan: {sampler.peak_rss_mb:.0f} MB RSS, {sampler.peak_pss_mb:.0f} MB PSS")
    say("  as the scan went (s, analysed, service main process RSS MB, tree RSS MB):")
    picks = sorted({0, len(trend) // 4, len(trend) // 2, 3 * len(trend) // 4, len(trend) - 1})
    for i in picks:
        at, analysed, main_rss, tree_rss = trend[i]
        say(f"    {at:7.1f} {analysed:>7} {main_rss:>8.0f} {tree_rss:>8.0f}")
    time.sleep(2)  # the workers' pool shut down
    after_rss, after_pss = tree_memory_mb(service.pid)
    say(
        f"  tree memory 2 s after the scan: {after_rss:.0f} MB RSS, {after_pss:.0f} MB PSS "
        f"(main process {process_rss_mb(service.pid):.0f} MB RSS)"
    )
    target = f">= sort ({sort_rate:.2f})" if sort_rate else ">= sort's photos/s"
    fig.row(f"index {photos} photos", f"{seconds:.1f} s, {rate:.2f} photos/s", target)
    fig.row("  other processes meanwhile", str(others), "")
    fig.row("  index CPU per photo: main process + workers", f"{1000 * main_cpu / photos:.1f} + "
            f"{1000 * workers_cpu / photos:.1f} ms (all {cores} cores: {cores * photos / (main_cpu + workers_cpu):.1f} "
            "photos/s)")
    if sort_rate:
        fig.row("index / sort photos/s", f"{rate / sort_rate:.2f}x", ">= 1.00x")
    fig.row("faces stored", f"{status['faces']} ({status['photos']} photos, {result['skipped']} skipped)")
    peaks = f"{sampler.peak_rss_mb:.0f} MB RSS, {sampler.peak_pss_mb:.0f} MB PSS"
    fig.row("memory during the scan (peak, tree)", peaks)
    first, last = trend[0], trend[-1]
    fig.row("main process RSS, scan start -> end", f"{first[2]:.0f} -> {last[2]:.0f} MB")
    fig.row("memory after the scan (tree)", f"{after_rss:.0f} MB RSS, {after_pss:.0f} MB PSS")
    return status


def run_rescan(fig: Figures, service: Service, photos: int) -> None:
    t0 = time.perf_counter()
    job = wait_job(service, service.post("/library/scan")["job_id"], interval=0.05)
    seconds = time.perf_counter() - t0
    r = job["result"]
    say(
        f"rescan, nothing changed: {seconds:.2f} s ({r['seen']} seen, {r['unchanged']} unchanged, {r['analysed']} "
        f"analysed, {r['moved']} moved, {r['removed']} removed)"
    )
    fig.row("rescan, nothing changed", f"{seconds:.2f} s", "< 10 s")
    if r["unchanged"] != photos or r["analysed"]:
        say(f"  note: expected {photos} unchanged and 0 analysed")


def run_queries(fig: Figures, service: Service, queries: list[Query], n: int) -> None:
    status = service.get("/library")
    say(f"queries, idle, on a library of {status['photos']} photos and {status['faces']} faces:")
    measured = latencies(service, queries, n)
    print_latencies(f"{n} requests each, one at a time", measured)
    for label, values in measured.items():
        fig.row(f"p50/p95 {label}", f"{ms(percentile(values, 50))} / {ms(percentile(values, 95))} ms", "p95 <= 100 ms")


def run_queries_while_scanning(
    fig: Figures, service: Service, queries: list[Query], n: int, extra_dir: Path, base: list[Path], extra: int,
    first_rep: int, photos: int,
) -> None:
    files = repeat_photos(base, extra_dir, extra, first="copy", first_rep=first_rep)
    say(f"queries while a scan of {len(files)} new photos (in {extra_dir.name}/) runs:")
    t0 = time.perf_counter()
    job_id = service.post("/library/scan", {"roots": [str(extra_dir)]})["job_id"]
    while True:  # the workers are analysing: the first photo is in
        job = service.get(f"/jobs/{job_id}")
        if job["state"] != "running" or (job.get("result") or {}).get("analysed", 0) >= 1:
            break
        time.sleep(0.1)
    started = time.perf_counter() - t0
    last: dict = {}

    def running() -> bool:
        last.update(service.get(f"/jobs/{job_id}"))
        return last["state"] == "running"

    with TreeMemorySampler(service.pid, 0.2) as sampler:
        measured = latencies_while(service, queries, n, running)
        job = wait_job(service, job_id, interval=0.25)
    seconds = time.perf_counter() - t0
    print_latencies(f"from the first photo analysed ({started:.1f} s in) until the scan ended or {n} each", measured)
    r = job["result"]
    say(
        f"  that scan: {r['analysed']} analysed in {seconds:.1f} s ({len(files) / seconds:.2f} photos/s, slowed by "
        f"the queries); peak tree memory {sampler.peak_rss_mb:.0f} MB RSS, {sampler.peak_pss_mb:.0f} MB PSS"
    )
    for label, values in measured.items():
        fig.row(f"while scanning: p50/p95 {label}", f"{ms(percentile(values, 50))} / {ms(percentile(values, 95))} ms "
                f"(n={len(values)})", "informational")
    for d in extra_dir.iterdir():
        shutil.rmtree(d)
    job = wait_job(service, service.post("/library/scan", {"roots": [str(extra_dir)]})["job_id"], interval=0.1)
    status = service.get("/library")
    removed = job["result"]["removed"]
    say(f"  the new photos deleted and scanned again: {removed} removed; library {status['photos']} photos")
    if status["photos"] != photos:
        say(f"  note: expected {photos} photos")


def run_train(fig: Figures, service: Service, photos: int) -> None:
    say("train: POST /train, polled every 10 ms")
    stages: list[tuple[float, str]] = []

    def on_poll(job: dict) -> None:
        if not stages or stages[-1][1] != job["stage"]:
            stages.append((time.perf_counter() - t0, job["stage"]))

    t0 = time.perf_counter()
    job_id = service.post("/train")["job_id"]
    job = wait_job(service, job_id, interval=0.01, on_poll=on_poll)
    total = time.perf_counter() - t0
    if job["state"] != "succeeded":
        sys.exit(f"the training failed: {job['error']}\n{tail(service.log)}")
    say("  stages seen (s after POST): " + ", ".join(f"{s:.2f} {name}" for s, name in stages))
    decide_from = next((s for s, name in stages if name == DECIDE_STAGE), None)
    deciding = stages[-1][0] - decide_from if decide_from is not None else math.nan
    result = job["result"]
    library = result.get("library", {})
    say(
        f"  job: {total:.2f} s in all; training {result.get('seconds')} s (the result's 'seconds'); "
        f"deciding the library {deciding:.2f} s (polled); library part of the result: {library} "
        f"(no duration in it)"
    )
    fig.row("train job, all", f"{total:.2f} s")
    fig.row(f"deciding the library ({library.get('faces')} faces, {library.get('photos')} photos)",
            f"{deciding:.2f} s (polled)", "<= 10 s at 10,000 photos")


# --- kill -9 -----------------------------------------------------------------------------------


def db_rows(data: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """A read of the service's database (read-only; the service may run)."""
    db = sqlite3.connect(f"file:{data / 'family.db'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def kill_mid_scan(
    fig: Figures, tmp: Path, lib: Path, family: Path, photos: int, kill_after: int, faces: int
) -> Service:
    say(f"kill (a): a fresh data folder, kill -9 after {kill_after} photos of the scan")
    data = tmp / "data-kill"
    enrol(data, family, tmp / "enrol-kill.log")
    service = Service(data, [lib], tmp / "server-kill.log")
    service.start()
    first = service.post("/library/scan")["job_id"]
    seen_analysed = 0
    t0 = time.perf_counter()
    while seen_analysed < kill_after:
        job = service.get(f"/jobs/{first}")
        if job["state"] != "running" and job["state"] != "queued":
            break
        seen_analysed = (job.get("result") or {}).get("analysed", 0)
        time.sleep(0.05)
    killed_at = service.kill9()
    at_kill = db_rows(data, "SELECT COUNT(*) FROM photos")[0][0]
    say(f"  killed {killed_at - t0:.1f} s in: the job said {seen_analysed} analysed; {at_kill} photos stored")
    fig.check(0 < at_kill < photos, f"killed mid-scan ({at_kill} of {photos} photos stored)")

    ready = service.start()
    status = service.get("/library")
    scan = status["scan"] or {}
    old = service.get(f"/jobs/{first}")
    say(f"  started again in {ready:.1f} s; latest scan job {scan.get('id', '-')[:8]} {scan.get('state')}")
    fig.check(old["state"] == "failed" and old["error"] == INTERRUPTED, f"the killed scan is failed, {old['error']!r}")
    resumed = scan.get("id") not in (None, first)
    fig.check(resumed, "a new scan job started by itself")
    if not resumed:
        return service
    t1 = time.perf_counter()
    job = wait_job(service, scan["id"], interval=0.5)
    r = job["result"] or {}
    say(
        f"  the resumed scan: {job['state']} in {time.perf_counter() - t1:.1f} s (after the start); "
        f"{r.get('seen')} seen, "
        f"{r.get('analysed')} analysed, {r.get('unchanged')} unchanged, {r.get('skipped')} skipped"
    )
    status = service.get("/library")
    rows, paths, contents, orphans = db_rows(
        data,
        "SELECT COUNT(*), COUNT(DISTINCT path), COUNT(DISTINCT sha256), "
        "(SELECT COUNT(*) FROM library_faces WHERE photo_id NOT IN (SELECT id FROM photos)) FROM photos",
    )[0]
    fig.check(job["state"] == "succeeded", "the resumed scan succeeded")
    fig.check(
        r.get("unchanged", 0) >= at_kill and r.get("unchanged", 0) + r.get("analysed", 0) == photos,
        f"it went on from the kill: {r.get('unchanged')} unchanged (>= {at_kill} stored) + "
        f"{r.get('analysed')} analysed "
        f"= {photos}",
    )
    fig.check(
        status["photos"] == photos and rows == paths == contents == photos and status["skipped"] == 0,
        f"every photo once: GET /library {status['photos']} photos, database {rows} rows, {paths} paths, "
        f"{contents} contents (of {photos})",
    )
    fig.check(
        status["faces"] == faces and orphans == 0,
        f"faces as in the uninterrupted index: {status['faces']} (uninterrupted {faces}), {orphans} without a photo",
    )
    return service


def kill_while_deciding(fig: Figures, service: Service) -> None:
    say("kill (b): faces named, POST /train, kill -9 while it is deciding the library")
    people = sorted(service.get("/people"), key=lambda p: -p["photos"])
    members = [p["name"] for p in people]
    # Faces the model gave a member, from photos of each member in turn (most photos first), one per photo.
    candidates = [
        (photo, face)
        for name in members[:4]
        for photo in service.get("/library/photos", member=name, limit=20)["items"]
        for face in photo["faces"]
        if face["member"] == name
    ]
    named: dict[int, tuple[int, str | None]] = {}  # face id: photo id, member
    used_photos: set[int] = set()
    plan = ["same", "other", None, None]  # the model's member, another member, nobody (twice)
    for photo, face in candidates:
        if not plan:
            break
        if photo["id"] in used_photos:
            continue
        how = plan.pop(0)
        if how == "same":
            member = face["member"]
        elif how == "other":
            member = next(m for m in members if m not in photo["present"])
        else:
            member = None
        service.post(f"/faces/{face['id']}/name", {"member": member})
        named[face["id"]] = (photo["id"], member)
        used_photos.add(photo["id"])
    say(f"  named {len(named)} faces: " + ", ".join(f"face {i} -> {m}" for i, (_, m) in named.items()))
    decide_jobs_before = {r[0] for r in db_rows(service.data, "SELECT id FROM jobs WHERE kind='decide'")}

    t0 = time.perf_counter()
    train_id = service.post("/train")["job_id"]
    stage_seen = None
    job: dict = {}
    while True:
        job = service.get(f"/jobs/{train_id}")
        if job["stage"] == DECIDE_STAGE and stage_seen is None:
            stage_seen = time.perf_counter()
        if stage_seen is not None or job["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.005)
    killed_at = service.kill9()
    if stage_seen is not None:
        after = 1000 * (killed_at - stage_seen)
        say(f"  killed {killed_at - t0:.2f} s after POST /train, {after:.0f} ms after the stage was seen")
    else:
        say(f"  the job ended ({job['state']}) before its deciding stage was seen; killed {killed_at - t0:.2f} s in")
    fig.check(stage_seen is not None, "killed during 'deciding the library'")

    service.start()
    t1 = time.perf_counter()
    train = service.get(f"/jobs/{train_id}")
    interrupted = train["state"] == "failed" and train["error"] == INTERRUPTED
    fig.check(interrupted, f"the killed training is failed, {train['error']!r}")
    new = db_rows(service.data, "SELECT id, created FROM jobs WHERE kind='decide' ORDER BY created")
    new = [r for r in new if r[0] not in decide_jobs_before]
    fig.check(len(new) == 1, f"a 'decide' job started with the service ({len(new)} new)")
    if new:
        job = wait_job(service, new[0][0], interval=0.05)
        took = time.perf_counter() - t1
        say(f"  the decide job: {job['state']} {took:.2f} s after the start; result {job['result']}")
        fig.check(job["state"] == "succeeded", "the decide job succeeded")
        fig.row("decide job on start (after kill -9)", f"{time.perf_counter() - t1:.2f} s (polled, from ready)")
    kept = []
    for face_id, (photo_id, member) in named.items():
        faces = {f["id"]: f for f in service.get(f"/library/photos/{photo_id}")["faces"]}
        f = faces.get(face_id)
        kept.append(f is not None and f["named_by"] == "person" and f["member"] == member)
        if not kept[-1]:
            say(f"  face {face_id} of photo {photo_id}: {f}")
    fig.check(bool(kept) and all(kept), f"{sum(kept)} of {len(named)} named faces kept by 'person', same member")
    status = service.get("/library")
    fig.check(
        status["named_faces"] == len(named), f"GET /library named_faces {status['named_faces']} (named {len(named)})"
    )
    fig.check((status["scan"] or {}).get("state") == "succeeded", "no scan resumed (the last one had finished)")


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="the shared test data")
    parser.add_argument("--photos", type=int, default=10000, help="photos in the library")
    parser.add_argument("--extra", type=int, help="new photos scanned while queries run (default photos/10, >= 50)")
    parser.add_argument(
        "--kill-after", type=int, help="kill -9 the first scan of kill (a) after this many photos (default photos/10)"
    )
    parser.add_argument("--queries", type=int, default=200, help="requests per query")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (its path is printed)")
    parser.add_argument("--skip-sort", action="store_true", help="no familyphoto sort for reference")
    parser.add_argument("--skip-kill", action="store_true", help="no kill -9 checks")
    args = parser.parse_args()
    data = args.data.resolve()
    extra = args.extra or max(50, args.photos // 10)
    kill_after = args.kill_after or max(1, args.photos // 10)
    cores = len(os.sched_getaffinity(0))
    # Every command runs this checkout's code (the venv's editable install may point at another).
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    say(
        f"bench/library_scale.py at {commit.stdout.strip() or '?'}: {args.photos} photos, {cores} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    tmp = Path(tempfile.mkdtemp(prefix="familyphoto-librarybench-"))
    fig = Figures()
    services: list[Service] = []
    try:
        lib, extra_dir = tmp / "library", tmp / "extra"
        base = base_photos(data)
        t0 = time.perf_counter()
        files = repeat_photos(base, lib, args.photos, first="copy")
        extra_dir.mkdir()
        reps = len(list(lib.iterdir()))
        say(
            f"library: {len(files)} photos ({reps} repeats of {len(base)}), {folder_mb(lib):.0f} MB, made in "
            f"{time.perf_counter() - t0:.1f} s, in {tmp}"
        )
        family = data / "family-dev/enroll"
        data_a = tmp / "data"
        say(f"familyphoto enrol family-dev/enroll: {enrol(data_a, family, tmp / 'enrol.log'):.1f} s")

        sort_rate = None
        if args.skip_sort:
            say("familyphoto sort: skipped (--skip-sort)")
        else:
            sort_rate = run_sort(fig, lib, data_a / "weights", tmp, len(files), cores)

        service = Service(data_a, [lib, extra_dir], tmp / "server.log")
        services.append(service)
        say(f"service ready in {service.start():.1f} s (tree {tree_memory_mb(service.pid)[0]:.0f} MB RSS)")
        status = run_index(fig, service, len(files), sort_rate, cores)
        run_rescan(fig, service, len(files))
        queries = queries_for(service)
        run_queries(fig, service, queries, args.queries)
        run_queries_while_scanning(
            fig, service, queries, args.queries, extra_dir, base, extra, reps, len(files)
        )
        run_train(fig, service, len(files))
        rss, pss = tree_memory_mb(service.pid)
        size = folder_mb(data_a)
        say(f"service memory at the end: tree {rss:.0f} MB RSS, {pss:.0f} MB PSS; data folder {size:.0f} MB")
        fig.row("memory at the end (tree)", f"{rss:.0f} MB RSS, {pss:.0f} MB PSS")
        fig.row("data folder (database, thumbnails)", f"{size:.0f} MB")
        service.stop()

        if args.skip_kill:
            say("kill -9 checks: skipped (--skip-kill)")
        else:
            service = kill_mid_scan(fig, tmp, lib, family, len(files), kill_after, status["faces"])
            services.append(service)
            kill_while_deciding(fig, service)
            service.stop()
    finally:
        for s in services:
            s.kill9()
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    width = max(len(w) for w, _, _ in fig.rows)
    fwidth = max(len(f) for _, f, _ in fig.rows)
    say(f"\n{'':<{width}}  {'figure':<{fwidth}}  target")
    for what, figure, target in fig.rows:
        say(f"{what:<{width}}  {figure:<{fwidth}}  {target}")
    for ok, what in fig.checks:
        say(f"{'PASS' if ok else 'FAIL'}  {what}")
    failed = sum(not ok for ok, _ in fig.checks)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    say(f"{len(fig.checks)} checks, {failed} failed; load average after {load}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
