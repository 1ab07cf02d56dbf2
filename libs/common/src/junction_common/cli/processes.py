"""The Junction processes `junction up` runs: which, in what order, with pid and log files."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from junction_common.infra.process import pid_alive, stop_pid
from junction_common.settings import JunctionSettings

# The services, then the gateway last.
SERVICE_MODULES: tuple[tuple[str, str], ...] = (
    ("crm", "crm.main"), ("webhooks", "webhooks.main"), ("connections", "connections.main"),
    ("sync", "sync.main"), ("flows", "flows.main"), ("gateway", "gateway.main"))


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    module: str
    home: Path

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "services" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def start(self, env: dict[str, str]) -> int:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", self.module], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout: float = 10.0) -> bool:
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return False
        stop_pid(pid, timeout)
        return True


def processes(settings: JunctionSettings) -> list[ServiceProcess]:
    return [ServiceProcess(name, module, settings.home) for name, module in SERVICE_MODULES]
