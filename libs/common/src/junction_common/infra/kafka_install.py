"""Kafka's broker classpath: Apache's jars and a log4j2 binding resolved from Maven Central, and Java 17+."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from junction_common.infra.paths import InfraPaths, render, resource_text
from junction_common.infra.process import ANSI_CODES, InfraError, require_tool, run_tool, say, tail

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
SLF4J_VERSION = "2.0.16"
DEPENDENCY_PLUGIN_VERSION = "3.8.1"
MIN_JAVA = 17
_INSTALLED = ".junction-installed"
_MAVEN_BOILERPLATE = ("To see the full stack trace", "Re-run Maven", "For more information", "[Help 1]")
_NETWORK_HINTS = (
    "could not transfer",
    "unknownhost",
    "unknown host",
    "connection refused",
    "network is unreachable",
    "connect timed out",
    "read timed out",
    "status code: 4",
    "status code: 5",
    "no plugin found for prefix",
)


def render_pom() -> str:
    """The Maven project whose runtime dependencies are Kafka's broker classpath."""
    return render(
        resource_text("kafka-pom.xml"),
        {
            "KAFKA_VERSION": KAFKA_VERSION,
            "SLF4J_VERSION": SLF4J_VERSION,
            "LOG4J_VERSION": LOG4J_VERSION,
            "DEPENDENCY_PLUGIN_VERSION": DEPENDENCY_PLUGIN_VERSION,
        },
    )


def parse_java_major(version_output: str) -> int | None:
    """The major version in `java -version` output (`1.8.0_392` -> 8, `17.0.15` -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def maven_failure_message(output: str) -> str:
    """An error message for a failed `mvn copy-dependencies`, naming a network problem when it is one."""
    lowered = output.lower()
    if any(hint in lowered for hint in _NETWORK_HINTS):
        head = (
            "Maven could not download Kafka's jars from Maven Central (no network to the registry, "
            "or a proxy/mirror in ~/.m2/settings.xml refusing it)"
        )
    else:
        head = "Maven failed to resolve Kafka's jars"
    return f"{head}:\n{tail(_maven_errors(output))}"


def _maven_errors(output: str) -> str:
    kept = []
    for line in ANSI_CODES.sub("", output).splitlines():
        text = line.replace("[ERROR]", "").split(" -> [Help", 1)[0].strip()
        if text and not text.startswith(_MAVEN_BOILERPLATE):
            kept.append(text)
    return "\n".join(kept)


def jars_installed(paths: InfraPaths) -> bool:
    """True when the broker classpath for KAFKA_VERSION is complete in the cache."""
    marker = paths.kafka_lib / _INSTALLED
    return marker.is_file() and marker.read_text().strip() == KAFKA_VERSION


def find_java() -> str:
    """The `java` to run Kafka with (JAVA_HOME first), checked to be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    why = f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+ (install e.g. openjdk-17-jre-headless; JAVA_HOME)"
    java = str(candidate) if candidate and candidate.is_file() else require_tool("java", why)
    done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    major = parse_java_major(done.stderr + done.stdout)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unknown Java version"
        raise InfraError(f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+, but {java} is {found}")
    return java


def install_jars(paths: InfraPaths) -> None:
    """Resolve Kafka and a log4j2 binding into kafka/lib with Maven, unless already cached."""
    if jars_installed(paths):
        return
    mvn = require_tool("mvn", "Kafka's jars are resolved from Maven Central with Maven (install e.g. maven)")
    say("resolving Kafka %s jars from Maven Central ...", KAFKA_VERSION)
    started = time.monotonic()
    paths.kafka_dir.mkdir(parents=True, exist_ok=True)
    paths.kafka_pom.write_text(render_pom())
    partial = paths.kafka_dir / "lib.partial"
    shutil.rmtree(partial, ignore_errors=True)
    _copy_dependencies(mvn, paths, partial)
    (partial / _INSTALLED).write_text(KAFKA_VERSION + "\n")
    shutil.rmtree(paths.kafka_lib, ignore_errors=True)
    partial.rename(paths.kafka_lib)
    say("kafka jars cached in %s (%.1fs)", paths.kafka_lib, time.monotonic() - started)


def _copy_dependencies(mvn: str, paths: InfraPaths, output_dir: Path) -> None:
    goal = f"org.apache.maven.plugins:maven-dependency-plugin:{DEPENDENCY_PLUGIN_VERSION}:copy-dependencies"
    argv = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(paths.kafka_pom), goal]
    argv += [f"-DoutputDirectory={output_dir}", "-DincludeScope=runtime"]
    try:
        run_tool(argv, cwd=paths.kafka_dir, timeout=1800)
    except subprocess.CalledProcessError as exc:
        raise InfraError(maven_failure_message(exc.output or "")) from None
    except subprocess.TimeoutExpired:
        raise InfraError(
            "Maven took over 30 minutes resolving Kafka's jars; is Maven Central reachable?"
        ) from None
