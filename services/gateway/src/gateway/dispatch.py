"""Publishing commands and waiting until their result is readable (read-your-writes)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaError

from gateway.availability import unavailable
from gateway.deps import Resources
from junction_common.envelope import CommandEnvelope, utcnow
from junction_common.logconfig import get_logger
from junction_common.tracing import inject_headers

Doc = dict[str, Any]
log = get_logger("gateway.dispatch")


class Dispatcher:
    def __init__(self, res: Resources) -> None:
        self.res = res

    async def record_operation(self, service: str, cmd: CommandEnvelope, resource: dict[str, str]) -> None:
        """Remember a command the caller was given an operation id for (it was answered 202)."""
        await self.res.gateway_db["operations"].update_one(
            {"_id": cmd.command_id},
            {"$setOnInsert": {"workspace_id": cmd.workspace_id, "service": service, **resource,
                              "created_at": utcnow()}},
            upsert=True,
        )

    async def publish(self, topic: str, cmd: CommandEnvelope) -> None:
        """Publish the command keyed by its aggregate id; return only once Kafka acknowledged it (acks=all).

        Raises the 503 `ApiError` when Kafka does not acknowledge within `publish_timeout_s`, or at once while
        the breaker is open after such a failure. A send given up on may still reach Kafka later: the command
        keeps its id, and the owning service handles a command id once.
        """
        settings, breaker = self.res.settings, self.res.breaker
        if breaker.open:
            raise unavailable("Kafka", settings.unavailable_retry_after_s)
        breaker.trying()
        send = self.res.broker.publish(
            cmd.to_bytes(), settings.topic(topic), key=cmd.aggregate_id.encode(),
            headers=inject_headers({"junction-type": cmd.type}),
        )
        try:
            await asyncio.wait_for(send, settings.publish_timeout_s)
        except (TimeoutError, KafkaError) as exc:
            breaker.failed()
            log.warning("command_not_published", command_id=cmd.command_id, topic=topic, error=type(exc).__name__,
                        unreachable="kafka")
            raise unavailable("Kafka", settings.unavailable_retry_after_s) from None
        except BaseException:
            breaker.abandoned()  # cancelled (the client went away): neither a failure nor a trial still running
            raise
        breaker.succeeded()

    async def wait(self, service: str, cmd: CommandEnvelope, collection: str, timeout: float,
                   view: str | None = None) -> Doc | None:
        """The outcome once the resource is readable at the committed version, or None on timeout.

        The owning service answers (its internal API's long poll, asked for together with this process's other
        writes) with the resource as it presents it (in its `view`, if given); the gateway reads none of its data.
        """
        return await self.res.services().awaited_outcome(service, cmd.command_id, collection, timeout, view)
