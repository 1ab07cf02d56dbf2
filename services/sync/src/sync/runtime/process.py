"""A source program as a subprocess: its own process group, a minimal environment, its stdout read as Airbyte
protocol messages one line at a time, its stderr kept as a short tail, and ended (SIGTERM, then SIGKILL after
a grace) when the block that started it ends early, or killed by the kernel when the service itself dies.

Its stdout is a pipe widened to PIPE_BYTES (1 MiB, Linux's default maximum, against 64 KiB), so the source reads
on, several thousand records ahead, while the service is busy writing a batch; lines are decoded with
pydantic-core's JSON parser (about three times json.loads' speed on a record line).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import functools
import os
import signal
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pydantic_core

from sync.runtime.credentials import redact
from sync.runtime.refs import SourceFailed

LINE_LIMIT = 64 * 1024 * 1024  # one RECORD per line; a big record is still one line
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031  # fcntl: set a pipe's capacity (Linux)
STDERR_LINES = 40
ERROR_DETAIL_CHARS = 1000
# All a source process inherits from the service: nothing else (the service's own secrets stay out).
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
              "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
Message = dict[str, Any]


def source_env(run_dir: Path) -> dict[str, str]:
    """The environment a source runs in: the passed variables, its home and temp in the run's private dir."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(HOME=str(run_dir), TMPDIR=str(run_dir), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    return env


class SourceProcess:
    """One running source program."""

    def __init__(self, proc: asyncio.subprocess.Process, stdout: asyncio.StreamReader,
                 stdout_pipe: asyncio.ReadTransport) -> None:
        self.proc, self.stdout, self._stdout_pipe = proc, stdout, stdout_pipe
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._drain = asyncio.create_task(self._keep_stderr())

    async def messages(self) -> AsyncIterator[Message]:
        """Each stdout line as a protocol message; a line that is not one becomes a LOG message."""
        while True:
            try:
                raw = await self.stdout.readline()
            except ValueError:  # asyncio's limit: the line is longer than LINE_LIMIT
                raise SourceFailed(f"the source wrote a message over {LINE_LIMIT // 2**20} MiB") from None
            if not raw:
                return
            line = raw.strip()
            if line:
                yield _message(line)

    async def wait(self) -> int:
        """The exit code, once stdout and stderr are both read to the end."""
        code = await self.proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._drain
        return code

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    async def _keep_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):  # chunks: a line may be of any length
            lines = chunk.decode("utf-8", errors="replace").splitlines()
            self._stderr.extend(line[:2000] for line in lines if line.strip())

    async def stop(self, grace_s: float) -> None:
        """End the process group: SIGTERM, then SIGKILL when it outlives `grace_s`."""
        if self.proc.returncode is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace_s)
            except TimeoutError:
                _signal_group(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
        self._drain.cancel()
        self._stdout_pipe.close()


def _message(line: bytes | str) -> Message:
    try:
        parsed = pydantic_core.from_json(line, cache_strings="keys")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("type"), str):
        return parsed
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    return {"type": "LOG", "log": {"level": "INFO", "message": text}}


def _wide_pipe() -> tuple[int, int]:
    """A pipe (read end, write end) of PIPE_BYTES where the system allows it, else of its default size."""
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_BYTES)
    return read_end, write_end


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl (Linux), loaded in the service before any fork; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def _dies_with(parent: int, prctl: Callable[..., int] | None) -> Callable[[], None]:
    """What the child runs before exec: SIGKILL when the service that started it dies (a service killed with
    SIGKILL cannot stop its sources itself), and exit at once if it already has."""
    def arrange() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
    return arrange


@contextlib.asynccontextmanager
async def launched(argv: list[str], run_dir: Path, grace_s: float) -> AsyncIterator[SourceProcess]:
    """Start `argv` in its own session; stop it (and anything it started) when the block ends, however it ends."""
    read_end, write_end = _wide_pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=write_end, stderr=asyncio.subprocess.PIPE,
            env=source_env(run_dir), cwd=run_dir, start_new_session=True, limit=LINE_LIMIT,
            preexec_fn=_dies_with(os.getpid(), _prctl()))
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the source holds it now: its exit is the reader's end of file
    stdout = asyncio.StreamReader(limit=LINE_LIMIT)
    pipe, _ = await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(stdout), os.fdopen(read_end, "rb", buffering=0))
    source = SourceProcess(proc, stdout, pipe)
    try:
        yield source
    finally:
        await asyncio.shield(source.stop(grace_s))


class Transcript:
    """What a run said so far: messages redacted where they can hold secrets, the stream last heard of, the
    first error reported."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.last_stream: str | None = None
        self.error: str | None = None
        self.count = 0

    def see(self, message: Message) -> Message:
        """The message as it may be passed on (LOG and TRACE redacted), noting its stream and any error."""
        self.count += 1
        kind = message.get("type")
        if kind in ("LOG", "TRACE", "CONNECTION_STATUS"):
            message = redact(message, self.secrets)
        stream = _stream_of(message)
        if stream is not None:
            self.last_stream = stream
        if kind == "TRACE" and message.get("trace", {}).get("type") == "ERROR" and self.error is None:
            error = message["trace"].get("error") or {}
            self.error = _error_text(error)
            self.last_stream = ((error.get("stream_descriptor") or {}).get("name")) or self.last_stream
        return message

    def finish(self, code: int, stderr: str) -> None:
        """Raise SourceFailed when the source exited non-zero or reported an error."""
        if self.error is not None:
            raise SourceFailed(self.error, self.last_stream)
        if code != 0:
            tail = redact(stderr[-2000:], self.secrets).strip() or "no output on stderr"
            raise SourceFailed(f"the source exited with status {code}: {tail}", self.last_stream)


def _error_text(error: dict[str, Any]) -> str:
    """A TRACE error's message, with its internal detail (the request that failed) when it says more."""
    message = str(error.get("message") or "the source reported an error")
    detail = str(error.get("internal_message") or "")
    if detail and detail not in message:
        message = f"{message} ({detail[:ERROR_DETAIL_CHARS]})"
    return message


def _stream_of(message: Message) -> str | None:
    kind = message.get("type")
    name: Any = None
    if kind == "RECORD":
        name = message.get("record", {}).get("stream")
    elif kind == "STATE":
        name = ((message.get("state", {}).get("stream") or {}).get("stream_descriptor") or {}).get("name")
    elif kind == "TRACE" and message.get("trace", {}).get("type") == "STREAM_STATUS":
        name = ((message["trace"].get("stream_status") or {}).get("stream_descriptor") or {}).get("name")
    return str(name) if name is not None else None
