"""`make bench`: flow executions/s and step executions/s of a three-step flow (webhook trigger -> transform ->
HTTP step to a local receiver), and p50/p99 trigger-to-completion latency.

The flows service and the gateway run as real processes on isolated names, the receiver in a process of its own.
A workspace creates the flow (published) and its webhook trigger through the gateway; WARMUP calls are sent and
completed (consumer groups settled, pools warm), then EXECUTIONS webhook calls are sent at CONCURRENCY through the
gateway (`POST /connect/v1/flow-hooks/{token}`). Each call's send time
is kept against the execution id it answers; completion is the execution.completed time the engine recorded (read
from the flows read model once every execution shows completed). Figures depend on the machine: it prints cores.
Its databases and topics are removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import os
import runpy
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import monitoring

from flows.topics import TOPICS
from flows_contracts.declarations import EXECUTION_EVENTS
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port, isolated
from junction_common.workspaces import create_workspace
from tests.aiohttp_runner import catch_all, serving
from tests.bench.processes import bench_processes, service_env, until
from tests.bench.procstat import cpu_seconds, machine_shares, machine_ticks, pid_listening, port_of

EXECUTIONS = int(os.environ.get("BENCH_FLOWS_EXECUTIONS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_FLOWS_CONCURRENCY", "64"))
# Calls sent (and completed) before the measured run: consumer groups settled, pools and caches warm.
WARMUP = int(os.environ.get("BENCH_FLOWS_WARMUP", "200"))
STEPS = 3  # trigger, transform, HTTP request
# A file: the flows process is profiled (cProfile, CPU time of the process) over the measured run only, dumped there.
PROFILE = os.environ.get("BENCH_FLOWS_PROFILE")
PROFILED = os.environ.get("BENCH_FLOWS_PROFILED", "flows")  # the process profiled: flows or gateway


# Per process: MongoDB commands by name, CPU seconds, MongoDB documents by command.
Snapshot = tuple[dict[str, Counter[str]], dict[str, float], dict[str, Counter[str]]]


def _documents(path: str) -> Counter[str]:
    """The counts a counted process last wrote to `path` (none yet: empty)."""
    try:
        with open(path) as f:
            return Counter(json.load(f))
    except (OSError, ValueError):
        return Counter()


@dataclass
class Watched:
    """The processes whose MongoDB commands (tests.bench.counted) and CPU time (/proc) a run accounts for."""

    count_files: dict[str, str]
    pids: dict[str, int]

    def snapshot(self) -> Snapshot:
        counts = {name: _documents(path) for name, path in self.count_files.items()}
        docs = {name: _documents(path + ".docs") for name, path in self.count_files.items()}
        return counts, {name: cpu_seconds(pid) for name, pid in self.pids.items()}, docs

    def toggle_profile(self, signum: int) -> None:
        """Start (SIGUSR1) or stop (SIGUSR2) the flows process's profile, when it runs profiled."""
        if PROFILE:
            os.kill(self.pids[PROFILED], signum)

    def report(self, before: Snapshot, executions: int) -> dict[str, float]:
        time.sleep(0.6)  # the count files are rewritten twice a second
        counts, cpu, docs = self.snapshot()
        for name, now in counts.items():
            diff = now - before[0].get(name, Counter())
            top = ", ".join(f"{k} {v / executions:.2f}" for k, v in diff.most_common(8))
            print(f"  mongodb commands per execution, {name}: {sum(diff.values()) / executions:.2f} ({top})")
        for name, now in docs.items():
            diff = now - before[2].get(name, Counter())
            top = ", ".join(f"{k} {v / executions:.2f}" for k, v in diff.most_common(10))
            print(f"  mongodb documents per execution, {name}: {sum(diff.values()) / executions:.2f} ({top})")
        spent = {name: (cpu[name] - before[1].get(name, 0.0)) * 1000 / executions for name in cpu}
        print(f"  CPU ms per execution: {', '.join(f'{name} {ms:.2f}' for name, ms in spent.items())}; "
              f"all {sum(spent.values()):.2f}")
        return spent


async def _serve_receiver() -> None:
    """The receiver in a process of its own (`--receiver`): answers every POST with a small JSON body."""
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    async with serving(catch_all(handle)) as url:
        print(url, flush=True)
        await asyncio.Event().wait()  # until the bench terminates it


class DocumentCounter(monitoring.CommandListener):
    """Counts the documents of each command as `<command> <collection>`: those it carries (inserted, updated,
    deleted) or returns (found): nx-27017's work follows documents, not commands."""

    CARRIED = {"insert": "documents", "update": "updates", "delete": "deletes"}

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.reads: dict[int, str] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        name = f"{event.command_name} {target if isinstance(target, str) else ''}".strip()
        if (field := self.CARRIED.get(event.command_name)) is not None:
            self.counts[name] += len(event.command.get(field) or ())
        elif event.command_name in ("find", "aggregate"):
            self.reads[event.request_id] = name

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        name = self.reads.pop(event.request_id, None)
        if name is not None:
            self.counts[name] += len((event.reply.get("cursor") or {}).get("firstBatch") or ())

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.reads.pop(event.request_id, None)


def _count_documents(path: str) -> None:
    """Count this process's documents (DocumentCounter) into `path`, twice a second."""
    counter = DocumentCounter()
    monitoring.register(counter)

    def dump() -> None:
        while True:
            time.sleep(0.5)
            with open(f"{path}.tmp", "w") as out:
                json.dump(dict(counter.counts), out)
            os.replace(f"{path}.tmp", path)

    threading.Thread(target=dump, daemon=True).start()


def _counted(module: str) -> list[str]:
    """`module` run under pymongo command and document counting (and profiled when BENCH_FLOWS_PROFILE is set
    and it is BENCH_FLOWS_PROFILED's)."""
    return ["-m", "tests.bench.flows_bench", "--counted", module]


def _run_counted(module: str) -> None:
    _count_documents(os.environ["BENCH_COUNT_FILE"] + ".docs")
    if PROFILE and module == f"{PROFILED}.main":
        _profiled(PROFILE, "tests.bench.counted", [module])
    else:
        sys.argv = ["tests.bench.counted", module]
        runpy.run_module("tests.bench.counted", run_name="__main__", alter_sys=True)


def _profiled(path: str, module: str, args: list[str]) -> None:
    """Run `module` with a CPU-time cProfile of its main thread between SIGUSR1 (start) and SIGUSR2 (stop,
    dumped to `path`): the measured run only, not the start-up's imports."""
    profile = cProfile.Profile(time.process_time)
    signal.signal(signal.SIGUSR1, lambda *_: profile.enable())

    def stop(*_: object) -> None:
        profile.disable()
        profile.dump_stats(path)

    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


@contextlib.asynccontextmanager
async def _system() -> AsyncIterator[tuple[str, str, str, JunctionSettings, Watched]]:
    """Receiver, flows service and gateway as processes; yields (gateway url, key, receiver url, settings,
    the watched processes)."""
    settings = isolated(JunctionSettings)
    port, flows_port = free_port(), free_port()
    counts = tempfile.mkdtemp(prefix="bench-flows-counts-")
    files = {"flows": f"{counts}/flows.json", "gateway": f"{counts}/gateway.json"}
    async with bench_processes(settings) as procs:
        receiver_url = await procs.spawn_printing(["-m", "tests.bench.flows_bench", "--receiver"])
        env = {**service_env(settings, port, {"flows": flows_port}), "JUNCTION_LOG_JSON": "true"}
        flows = await procs.spawn(_counted("flows.main"), {**env, "JUNCTION_INTERNAL_PORT": str(flows_port),
                                                            "BENCH_COUNT_FILE": files["flows"]})
        gateway = await procs.spawn(_counted("gateway.main"), {**env, "BENCH_COUNT_FILE": files["gateway"]})
        _, key = await create_workspace(settings, "Bench", "business")
        pids = {"flows": flows.pid, "gateway": gateway.pid, "receiver": procs.procs[0].pid}
        if (mongo := pid_listening(port_of(settings.mongodb_url))) is not None:
            pids["mongodb"] = mongo
        # Kafka's broker (shared with whatever else runs on the machine: an upper bound) and this load generator
        if (kafka := pid_listening(int(settings.kafka_bootstrap.rsplit(":", 1)[-1]))) is not None:
            pids["kafka"] = kafka
        pids["bench"] = os.getpid()
        yield f"http://127.0.0.1:{port}", key, receiver_url, settings, Watched(files, pids)


async def _flow(http: aiohttp.ClientSession, url: str, auth: dict[str, str], receiver: str) -> str:
    """The published flow and its webhook trigger; the trigger's token."""
    nodes = [{"id": "hook", "type": "trigger", "config": {"kind": "webhook"}},
             {"id": "shape", "type": "transform", "config": {"output": {"order": "{{ trigger.body.order }}",
                                                                       "total": "{{ trigger.body.total * 100 }}"}}},
             {"id": "send", "type": "http_request", "config": {"method": "POST", "url": receiver + "/orders",
                                                              "body": "{{ steps.shape }}"}}]
    edges = [{"source": "hook", "target": "shape"}, {"source": "shape", "target": "send"}]
    made = await until(http, "the flows service", "POST", f"{url}/v1/workflows", headers=auth,
                        json={"name": "Bench", "nodes": nodes, "edges": edges, "status": "published"})
    flow = made["data"]["id"]
    trigger = await until(http, "the trigger", "POST", f"{url}/connect/v1/flows/{flow}/triggers", headers=auth,
                           json={"kind": "webhook", "config": {}})
    return str(trigger["data"]["webhookUrl"]).rsplit("/", 1)[-1]


async def _load(http: aiohttp.ClientSession, hook: str, calls: range) -> dict[str, float]:
    """Send every webhook call; each execution id with its send time."""
    sent: dict[str, float] = {}
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with sem:
            at = time.time()
            async with http.post(hook, json={"order": f"o-{n}", "total": n}) as resp:
                answer = await resp.json(content_type=None)
                if resp.status >= 300:
                    raise RuntimeError(f"webhook: {resp.status} {answer}")
            sent[answer["data"]["executionId"]] = at

    await asyncio.gather(*(one(n) for n in calls))
    return sent


async def _completions(settings: JunctionSettings, ids: set[str], timeout: float = 600) -> dict[str, float]:
    client = create_client(settings)
    executions = client[settings.db_name("flows")]["executions"]
    try:
        deadline, done = time.monotonic() + timeout, dict[str, float]()
        while True:  # only the executions not seen completed yet are read (by `_id`): the bench's own reads stay small
            wanted = {"_id": {"$in": sorted(ids - done.keys())}, "status": "completed"}
            docs = await executions.find(wanted, {"completed_ts": 1}).to_list()
            done.update({d["_id"]: float(d["completed_ts"]) for d in docs})
            if len(done) == len(ids) or time.monotonic() > deadline:
                return done
            await asyncio.sleep(0.5)
    finally:
        await client.close()


async def _events_published(settings: JunctionSettings) -> int:
    """How many messages the execution events topic holds (its partitions' end offsets): each execution's
    events once, unless some were published twice."""
    spec = next(t for t in TOPICS if t.name == EXECUTION_EVENTS)
    parts = [TopicPartition(settings.topic(spec.name), p) for p in range(spec.partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def main() -> None:
    print(f"machine: {os.cpu_count()} cores; {EXECUTIONS} executions of webhook -> transform -> HTTP, "
          f"concurrency {CONCURRENCY}")
    async with _system() as (url, key, receiver, settings, watched), aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {key}"}
        await until(http, "the gateway", "GET", f"{url}/readyz")
        token = await _flow(http, url, auth, receiver)
        hook = f"{url}/connect/v1/flow-hooks/{token}"
        await asyncio.sleep(0.6)
        if WARMUP:
            await _completions(settings, set(await _load(http, hook, range(-WARMUP, 0))))
        before, ticks = watched.snapshot(), machine_ticks()
        watched.toggle_profile(signal.SIGUSR1)
        began = time.time()
        sent = await _load(http, hook, range(EXECUTIONS))
        sending = time.time() - began
        done = await _completions(settings, set(sent))
        busy, stolen = machine_shares(ticks, machine_ticks())
        watched.toggle_profile(signal.SIGUSR2)
        spent = watched.report(before, max(len(done), 1))
        print(f"  machine over the run: {busy:.0%} of its CPU time used, {stolen:.0%} stolen by the hypervisor "
              "(other guests on these cores; compare runs of like steal only)")
        published = await _events_published(settings)
    print(f"  execution events on Kafka per execution {published / max(len(sent) + WARMUP, 1):.2f}")
    if len(done) < len(sent):
        print(f"only {len(done)} of {len(sent)} executions completed")
    latencies = sorted(done[i] - sent[i] for i in done)
    wall = max(done.values()) - began
    q = statistics.quantiles(latencies, n=100)
    print(f"  triggers accepted   {len(sent) / sending:8.0f} /s")
    print(f"  executions          {len(done) / wall:8.0f} /s   ({len(done)} in {wall:.1f} s)")
    print(f"  step executions     {len(done) * STEPS / wall:8.0f} /s")
    # One process runs on one core: near 100% here, the flows process is what bounds the rate.
    print(f"  flows process busy  {spent['flows'] * len(done) / 1000 / wall:8.0%} of one core over the run")
    print(f"  trigger-to-completion p50 {q[49] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--receiver"]:
        asyncio.run(_serve_receiver())
    elif sys.argv[1:2] == ["--counted"]:
        _run_counted(sys.argv[2])
    else:
        asyncio.run(main())
