"""Topic declarations: every topic is declared once, in its service's topics.py, with its partitions."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from junction_common.settings import JunctionSettings

RETRY_DELAYS_S: tuple[float, ...] = (1.0, 10.0, 60.0)


@dataclass(frozen=True)
class TopicSpec:
    """A topic a service owns; `retries` adds `<name>.retry.<n>` and `<name>.dlq` beside it."""

    name: str
    partitions: int = 3
    retention_ms: int = -1
    retries: bool = True
    # False for a retry base shared by several topics (a service's projections): only its retry and DLQ
    # topics exist.
    main: bool = True

    def retry_topic(self, attempt: int) -> str:
        return f"{self.name}.retry.{attempt}"

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"

    def all_names(self, levels: int = len(RETRY_DELAYS_S)) -> list[str]:
        base = [self.name] if self.main else []
        if not self.retries:
            return base
        return [*base, *(self.retry_topic(n) for n in range(1, levels + 1)), self.dlq]


def retry_topic(topic: str, attempt: int) -> str:
    return f"{topic}.retry.{attempt}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def declared_topics() -> list[TopicSpec]:
    """Every service's declared topics, found through the `junction.topics` entry points."""
    specs: list[TopicSpec] = []
    for ep in entry_points(group="junction.topics"):
        specs.extend(ep.load())
    return specs


async def ensure_topics(settings: JunctionSettings, specs: list[TopicSpec]) -> list[str]:
    """Create missing topics (with retry and DLQ companions); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted: dict[str, NewTopic] = {}
        for spec in specs:
            for name in spec.all_names():
                full = settings.topic(name)
                if full not in existing:
                    cfg = {"retention.ms": str(spec.retention_ms if name == spec.name else 7 * 86400000)}
                    wanted[full] = NewTopic(full, spec.partitions, 1, topic_configs=cfg)
        if wanted:
            try:
                await admin.create_topics(list(wanted.values()))
            except TopicAlreadyExistsError:
                pass
        return sorted(wanted)
    finally:
        await admin.close()


async def ensure_declared_topics(settings: JunctionSettings) -> list[str]:
    return await ensure_topics(settings, declared_topics())
