"""The one FastStream Kafka broker of a process: idempotent producer, acks=all."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from junction_common.outage_probes import watch_kafka
from junction_common.settings import JunctionSettings


def create_broker(settings: JunctionSettings, client_id: str) -> KafkaBroker:
    watch_kafka(settings.kafka_bootstrap)  # where the outage tracker asks whether Kafka is back
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        logger=None,  # handlers log through structlog themselves
    )
