"""The connector runtime: sources that speak the Airbyte protocol, run as subprocesses.

Interface (for the runs and tables code):

- `SourceRef(kind, manifest=None, package=None, version=None)`: which source program runs. `declarative`: an
  Airbyte low-code manifest (a dict) on airbyte-cdk's declarative engine (`source-declarative-manifest`);
  `pypi`: a Python Airbyte source (`airbyte-source-<name>`) pinned by `version` (None: the measured default in
  environments.MEASURED_SOURCES).
- `ConnectorRuntime(settings)`:
  `await spec(ref) -> dict` (the SPEC message's spec), `await check(ref, config) -> (ok, message)`,
  `await discover(ref, config) -> {"streams": [...]}` (the AirbyteCatalog),
  `read(ref, config, catalog, state) -> AsyncIterator[dict]`: every protocol message as a dict in order (RECORD,
  STATE, LOG, TRACE). Closing it early (`aclose()`, or cancelling the task awaiting it; wrap it in
  `contextlib.aclosing`) stops the subprocess within a second (SIGTERM, SIGKILL after
  `connector_stop_grace_s`). A non-zero exit or a TRACE error raises `SourceFailed(message, last_stream)` after
  the messages already yielded; a program that cannot be installed raises `InstallFailed`, a SourceFailed too.
- `configured_catalog(discovered, streams)`: the ConfiguredAirbyteCatalog for
  `[{name, sync_mode, cursor_field?, destination_sync_mode}]`.
- `declarative_manifest(provider, streams)` / `source_ref(provider, streams, base_dir)`: a low-code manifest from a
  provider YAML's `streams:` (pagination styles in manifests.py), or the provider's own `source:`.
- `redact(message, secrets)` / `secret_values(config, spec)`: mask a config's secrets in anything a source said.

Installs: each program lives in its own virtual environment under `<home>/connectors/<package>-<version>`,
installed on first use with uv (else venv + pip), progress in the log, the exact version in `installed.json`,
an flock against concurrent installs (environments.py). airbyte-cdk (~220 MB with pandas and numpy) never
enters the services' environment.

Credentials: the config (which holds the source's secrets) is written to a 0600 file in a private 0700
directory (on /dev/shm when present, so RAM only) for the run's duration only and removed when it ends, however
it ends; the source gets a minimal environment, not the service's; LOG/TRACE messages and stderr are redacted of
the config's secret values (the spec's `airbyte_secret` fields and keys named like secrets) before they leave the
runtime; the config is never logged.
"""

from sync.runtime.credentials import redact, secret_values
from sync.runtime.manifests import declarative_manifest, source_ref
from sync.runtime.refs import SourceFailed, SourceRef, configured_catalog
from sync.runtime.runtime import ConnectorRuntime

__all__ = [
    "ConnectorRuntime",
    "SourceFailed",
    "SourceRef",
    "configured_catalog",
    "declarative_manifest",
    "redact",
    "secret_values",
    "source_ref",
]
