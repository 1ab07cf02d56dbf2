"""The Kafka clients of a process: its one FastStream broker (subscribers, commands) and the idempotent producer
its outbox relay appends stored events to; both acks=all with idempotence, so a retried send never duplicates
or reorders a partition's records.

FastStream builds the broker's producer inside `KafkaBroker.start()` and takes none from outside (faststream
0.7: `KafkaBrokerConfig.connect` makes its own `AIOKafkaProducer`), so the relay's producer is a second one, built
here with the same settings and started and stopped with the service (`ServiceRuntime`).
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from junction_common.outage_probes import watch_kafka
from junction_common.settings import JunctionSettings

# Every producer of a process: each write acknowledged by all in-sync replicas, retries deduplicated by Kafka.
PRODUCER_OPTIONS: dict[str, Any] = {"acks": "all", "enable_idempotence": True, "linger_ms": 2}


def create_broker(settings: JunctionSettings, client_id: str) -> KafkaBroker:
    watch_kafka(settings.kafka_bootstrap)  # where the outage tracker asks whether Kafka is back
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        logger=None,  # handlers log through structlog themselves
        **PRODUCER_OPTIONS,
    )


def create_producer(settings: JunctionSettings, client_id: str) -> AIOKafkaProducer:
    """The idempotent producer the outbox relay sends stored events with (its owner starts and stops it)."""
    watch_kafka(settings.kafka_bootstrap)
    return AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, client_id=client_id, **PRODUCER_OPTIONS)
