"""The secret scan: a full connect/test/check/list/get/disconnect sequence through the gateway with a distinctive
secret; it appears in no HTTP answer (body or header), no log line, no document of the connections database but
sealed (the raw bytes of every collection: event_commits, the projection, outcomes), and no Kafka message on the
service's topics (read from the start)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from structlog.testing import capture_logs

from connections_contracts import declarations as decl
from junction_common.mongo import create_client
from tests.connections_stack import SIM_TYPE, Edge, connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SECRET = "sk_scan_7f3c9e1a5b2d4c6e8f0a1b3c5d7e9f21"
RAW = SECRET.encode()


async def _sequence(edge: Edge) -> list[tuple[int, Any, dict[str, str]]]:
    """Every operation of the resource, the secret in each request that may carry it; the answers."""
    creds = {"credentials": {"apiKey": SECRET}}
    base = f"/connect/v1/providers/{SIM_TYPE}"
    answers = [await edge.call("POST", base + "/connect", creds),
               await edge.call("GET", base + "/status"),
               await edge.call("POST", "/api/pipelines/connections/test", {"type": "CRM_PLATFORM", **creds}),
               await edge.call("POST", "/api/pipelines/connections/test",
                               {"type": "CRM_PLATFORM", "credentials": {"apiKey": SECRET + "x"}}),
               await edge.call("POST", "/api/pipelines/connections", {"name": "Scan", "type": "CRM_PLATFORM", **creds})]
    conn_id = answers[-1][1]["connection"]["id"]
    answers += [await edge.call("POST", f"/api/pipelines/connections/{conn_id}/check"),
                await edge.call("PUT", f"/api/pipelines/connections/{conn_id}", creds),
                await edge.call("GET", "/api/pipelines/connections"),
                await edge.call("GET", f"/api/pipelines/connections/{conn_id}"),
                await edge.call("POST", "/v1/credentials", {"name": "Scan", "value": SECRET, "provider": SIM_TYPE}),
                await edge.call("POST", "/v1/credentials", {"name": "Bare", "value": SECRET}),
                await edge.call("GET", "/v1/credentials"),
                await edge.call("DELETE", base + "/disconnect"),
                await edge.call("DELETE", f"/api/pipelines/connections/{conn_id}")]
    return answers


async def _database_leaks(edge: Edge) -> dict[str, int]:
    """Per collection of the connections database: how many raw documents hold the secret; and sealed ones."""
    client = create_client(edge.stack.connections)
    try:
        db = client[edge.stack.connections.db_name(decl.SERVICE)]
        found: dict[str, int] = {}
        for name in await db.list_collection_names():
            coll = db.get_collection(name, codec_options=CodecOptions(document_class=RawBSONDocument))
            raws = [doc.raw async for doc in coll.find({})]
            found[name] = sum(RAW in raw for raw in raws)
            found[f"{name}:sealed"] = sum(b"ciphertext" in raw for raw in raws)
        return found
    finally:
        await client.close()


async def _kafka_messages(edge: Edge) -> list[bytes]:
    settings = edge.stack.connections
    consumer = AIOKafkaConsumer(settings.topic(decl.CONNECTION_EVENTS), settings.topic(decl.COMMANDS),
                                bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    seen: list[bytes] = []
    try:
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    seen.append((record.key or b"") + (record.value or b"") +
                                b"".join(k.encode() + v for k, v in record.headers or ()))
            if seen and not batch:
                break
    finally:
        await consumer.stop()
    return seen


async def test_the_secret_appears_nowhere_but_sealed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with connections_edge(tmp_path, {SECRET}) as edge:
        with capture_logs() as logs:
            answers = await _sequence(edge)
            await asyncio.sleep(1.0)  # the relay and the projections catch up
        assert edge.sim.seen.count(SECRET) >= 4, "the simulator was called with the secret"
        assert [a[0] for a in answers] == [201, 200, 200, 200, 201, 200, 200, 200, 200, 201, 201, 200, 200, 200]
        for status, body, headers in answers:
            assert SECRET not in repr(body) and SECRET not in repr(headers), (status, body)
        assert answers[0][1]["data"]["credentialPreview"] == "…" + SECRET[-4:]
        assert logs and not [line for line in logs if SECRET in repr(line)]
        assert not [r for r in caplog.records if SECRET in r.getMessage() or SECRET in repr(r.__dict__)]
        found = await _database_leaks(edge)
        assert {k: v for k, v in found.items() if not k.endswith(":sealed") and v} == {}, found
        assert found["event_commits:sealed"] >= 3 and found["connections:sealed"] >= 1, found
        messages = await _kafka_messages(edge)
        assert any(b"connection.created" in m for m in messages), len(messages)
        assert [m for m in messages if RAW in m] == []
