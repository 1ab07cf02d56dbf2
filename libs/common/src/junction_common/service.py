"""Service host: wires one service's broker, event store, relay, command handler and projections.

A service's main.py builds a `ServiceSpec` and calls `run_service`; FastStream runs the consumers.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import uvloop
from fastapi import APIRouter
from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.bus.broker import create_broker, create_producer
from junction_common.bus.consumer import Delivery, key_rounds, subscribe
from junction_common.bus.relay import OutboxRelay, TopicFor
from junction_common.commands import CommandExecutor
from junction_common.decisions import Decider
from junction_common.envelope import CommandEnvelope
from junction_common.health import serve_health
from junction_common.heap import freeze_startup_heap, release_startup_heap
from junction_common.internal_api import create_internal_app
from junction_common.logconfig import configure_logging, get_logger
from junction_common.mongo import Doc, create_client, service_db
from junction_common.projections.consumer import projection_batch_handler, projection_handler
from junction_common.projections.runner import Projection, ProjectionWriter
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import EventStore
from junction_common.store.outcome_waits import OutcomePoller
from junction_common.store.outcomes import OutcomeStore
from junction_common.topics import TopicSpec, ensure_topics
from junction_common.tracing import configure_tracing, extract_context, tracer
from junction_common.upcasting import UpcasterRegistry
from junction_common.web.inloop_server import InternalServer

log = get_logger(__name__)

T = TypeVar("T")


class Component(Protocol):
    """A service's own long-running part (a reactor, a scheduler); built with the runtime, before the broker
    starts, so it can subscribe consumers in its constructor."""

    async def prepare(self) -> None:
        """Before the broker starts: topics and indexes it needs."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class ServiceSpec:
    """What a service declares: its topics, how to route commands, where events go, its projections."""

    name: str
    topics: list[TopicSpec]
    command_topic: str
    # Gathers, from the service's read models, the facts the decision needs; the decision stays pure.
    decider_for: Callable[[CommandEnvelope, AsyncDatabase[Doc]], Awaitable[Decider]]
    topic_for: TopicFor
    projections: list[Projection] = field(default_factory=list)
    upcasters: UpcasterRegistry = field(default_factory=UpcasterRegistry)
    # Commands that span aggregates (a lead conversion creates a contact, a company and a deal) get a
    # handler of their own; it runs each step as its own idempotent command through the executor.
    handlers: dict[str, Callable[[ServiceRuntime, CommandEnvelope], Awaitable[None]]] = field(default_factory=dict)
    components: list[Callable[[ServiceRuntime], Component]] = field(default_factory=list)
    # The service's own internal API routes (reads, synchronous operations), beside the outcome long poll.
    internal_routers: Callable[[ServiceRuntime], list[APIRouter]] | None = None
    # How a write's answer shows the resource of a collection (the outcome long poll presents it, so the edge
    # sees the resource as the API returns it, never the read model's internal fields); default: `present`.
    presenters: dict[str, Callable[[Doc], Doc]] = field(default_factory=dict)


class ServiceRuntime:
    """The running parts of a service; tests start and stop it in-process."""

    def __init__(self, spec: ServiceSpec, settings: JunctionSettings) -> None:
        self.spec, self.settings = spec, settings
        configure_tracing(spec.name, settings.otel_exporter)
        self.client: AsyncMongoClient[Doc] = create_client(settings)
        self.db: AsyncDatabase[Doc] = service_db(self.client, settings, spec.name)
        self.broker: KafkaBroker = create_broker(settings, client_id=f"junction-{spec.name}")
        self.store = EventStore(self.db, spec.upcasters)
        # The relay's own idempotent producer (FastStream takes none from outside), started and stopped with this.
        self.producer = create_producer(settings, client_id=f"junction-{spec.name}-relay")
        self.relay = OutboxRelay(self.store, self.producer, lambda e: settings.topic(spec.topic_for(e)))
        self.outcomes = OutcomeStore(self.db)
        # The outcome long poll's waits, answered from this process's batches as they are stored.
        self.waits = OutcomePoller(self.client)
        self.executor = CommandExecutor(self.store, self.outcomes, self.relay.wake, hand_over=self.relay.send,
                                        announce=lambda docs: self.waits.announce_outcomes(self.db.name, docs))
        self._wire()
        self.components = [make(self) for make in spec.components]
        self.internal: InternalServer | None = None

    def component(self, kind: type[T]) -> T:
        """The running component of type `kind` (command handlers reach reactors through it)."""
        for part in self.components:
            if isinstance(part, kind):
                return part
        raise LookupError(kind.__name__)

    def _wire(self) -> None:
        subscribe(self.broker, self.settings, self.spec.command_topic, f"{self.spec.name}.commands",
                  self.handle_command, batch_handler=self.handle_commands)
        writers: dict[str, list[ProjectionWriter]] = {}
        for projection in self.spec.projections:
            for topic in projection.topics:
                writers.setdefault(self.settings.topic(topic), []).append(ProjectionWriter(projection, self.db))
        if writers:
            # One consumer group folds every projection of the service; failures share one retry path.
            subscribe(self.broker, self.settings, [t.removeprefix(self.settings.topic_prefix) for t in writers],
                      projections_group(self.spec.name), projection_handler(writers),
                      retry_base=projections_group(self.spec.name),
                      batch_handler=projection_batch_handler(writers, self._announce_documents))

    def _announce_documents(self, collection: str, docs: list[Doc]) -> None:
        self.waits.announce_documents(self.db.name, collection, docs)

    async def handle_commands(self, deliveries: list[Delivery]) -> dict[int, Exception]:
        """A consumer batch of commands, round by round (each key's commands in order): one executor batch
        per round; commands with a handler of their own run beside it. Failures by position."""
        failures: dict[int, Exception] = {}
        with tracer("junction.commands").start_as_current_span("command batch"):
            for positions in key_rounds(deliveries):
                failures.update(await self._handle_round(deliveries, positions))
        return failures

    async def _handle_round(self, deliveries: list[Delivery], positions: list[int]) -> dict[int, Exception]:
        failures: dict[int, Exception] = {}
        generic: list[tuple[int, CommandEnvelope]] = []
        special: list[tuple[int, CommandEnvelope]] = []
        for position in positions:
            try:
                cmd = CommandEnvelope.from_bytes(deliveries[position].value)
            except Exception as exc:
                failures[position] = exc
                continue
            (special if cmd.type in self.spec.handlers else generic).append((position, cmd))
        decided = await asyncio.gather(*(self.spec.decider_for(cmd, self.db) for _, cmd in generic),
                                       return_exceptions=True)
        items = []
        for (position, cmd), decider in zip(generic, decided, strict=True):
            if isinstance(decider, BaseException):
                failures[position] = _exception(decider)
            else:
                items.append((position, cmd, decider))
        batch = self.executor.execute_batch([(cmd, decider) for _, cmd, decider in items])
        alone = asyncio.gather(*(self._handle_alone(cmd) for _, cmd in special), return_exceptions=True)
        failed, results = await asyncio.gather(batch, alone)
        failures.update({items[k][0]: exc for k, exc in failed.items()})
        failures.update({p: _exception(r) for (p, _), r in zip(special, results, strict=True)
                         if isinstance(r, BaseException)})
        return failures

    async def _handle_alone(self, cmd: CommandEnvelope) -> None:
        await self.spec.handlers[cmd.type](self, cmd)

    async def handle_command(self, delivery: Delivery) -> None:
        cmd = CommandEnvelope.from_bytes(delivery.value)
        token = otel_context.attach(extract_context({"traceparent": cmd.traceparent or ""}))
        try:
            with tracer("junction.commands").start_as_current_span(f"command {cmd.type}"):
                handler = self.spec.handlers.get(cmd.type)
                if handler is not None:
                    await handler(self, cmd)
                else:
                    await self.executor.execute(cmd, await self.spec.decider_for(cmd, self.db))
        finally:
            otel_context.detach(token)

    async def start(self) -> None:
        await ensure_topics(self.settings, self.spec.topics)
        await self.store.ensure_indexes()
        for projection in self.spec.projections:
            await ProjectionWriter(projection, self.db).ensure_indexes()
        for part in self.components:
            await part.prepare()
        await self.broker.start()
        await self.producer.start()
        self.relay.start()
        for part in self.components:
            await part.start()
        if self.settings.internal_port >= 0:
            await self._serve_internal()
        log.info("service_started", service=self.spec.name,
                 internal_api=self.internal.url if self.internal else None)

    async def _serve_internal(self) -> None:
        routers = self.spec.internal_routers(self) if self.spec.internal_routers else []
        app = create_internal_app(self.spec.name, self.settings.internal_secret, self.db, routers,
                                  self.spec.presenters, waits=self.waits)
        self.internal = InternalServer(app, self.settings.internal_host, self.settings.internal_port)
        await self.internal.start()

    @property
    def internal_url(self) -> str | None:
        """Where the internal API listens (None when the service serves none)."""
        return self.internal.url if self.internal else None

    def healthy(self) -> bool:
        return self.relay.running

    async def stop(self) -> None:
        if self.internal is not None:
            await self.internal.stop()
        for part in reversed(self.components):
            await part.stop()
        await self.relay.stop()
        await self.producer.stop()  # what the relay appended is sent before it goes
        await self.broker.stop()
        await self.client.close()


def projections_group(service: str) -> str:
    """The consumer group (and retry base) of a service's projections, e.g. `crm.projections`."""
    return f"{service}.projections"


def _exception(error: BaseException) -> Exception:
    """A failure to route to the retry path; anything that is not an Exception (a cancellation) goes on up."""
    if isinstance(error, Exception):
        return error
    raise error


def run(spec: ServiceSpec, settings: JunctionSettings) -> None:
    """A service's main: serve until SIGTERM on uvloop (libuv's event loop; faster I/O than asyncio's)."""
    uvloop.run(serve(spec, settings))


async def serve(spec: ServiceSpec, settings: JunctionSettings) -> None:
    """Run until SIGINT/SIGTERM."""
    configure_logging(settings.log_level, settings.log_json, service=spec.name,
                      outage_interval_s=settings.log_outage_interval_s)
    configure_tracing(spec.name, settings.otel_exporter)
    runtime = ServiceRuntime(spec, settings)
    await runtime.start()
    freeze_startup_heap()
    health = None
    if settings.health_port:
        health = await serve_health(settings.health_host, settings.health_port, runtime.healthy)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if health is not None:
        health.close()
    await runtime.stop()
    release_startup_heap()
