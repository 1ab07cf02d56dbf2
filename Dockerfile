# One image for every Junction service; the command picks the service:
#   docker run junction:dev junction-gateway      (or junction-crm, junction-sync, ...)
# The `junction` operator CLI is in the image too.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app

# Third-party dependencies first, from the lock file only, so code edits reuse this layer.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/pyproject.toml
COPY services/gateway/pyproject.toml services/gateway/pyproject.toml
COPY services/connections/pyproject.toml services/connections/pyproject.toml
COPY services/sync/pyproject.toml services/sync/pyproject.toml
COPY services/flows/pyproject.toml services/flows/pyproject.toml
COPY services/webhooks/pyproject.toml services/webhooks/pyproject.toml
COPY services/crm/pyproject.toml services/crm/pyproject.toml
COPY services/crm/contracts/pyproject.toml services/crm/contracts/pyproject.toml
COPY services/webhooks/contracts/pyproject.toml services/webhooks/contracts/pyproject.toml
COPY services/connections/contracts/pyproject.toml services/connections/contracts/pyproject.toml
COPY services/sync/contracts/pyproject.toml services/sync/contracts/pyproject.toml
COPY services/flows/contracts/pyproject.toml services/flows/contracts/pyproject.toml
RUN uv sync --frozen --no-dev --no-install-workspace

# Then the workspace packages themselves, installed (not editable) into the venv.
COPY libs/common/src libs/common/src
COPY services/gateway/src services/gateway/src
COPY services/connections/src services/connections/src
COPY services/sync/src services/sync/src
COPY services/flows/src services/flows/src
COPY services/webhooks/src services/webhooks/src
COPY services/crm/src services/crm/src
COPY services/crm/contracts/src services/crm/contracts/src
COPY services/webhooks/contracts/src services/webhooks/contracts/src
COPY services/connections/contracts/src services/connections/contracts/src
COPY services/sync/contracts/src services/sync/contracts/src
COPY services/flows/contracts/src services/flows/contracts/src
RUN uv sync --frozen --no-dev --no-editable


FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 junction \
    && useradd --system --uid 10001 --gid junction --home-dir /var/lib/junction --no-create-home junction \
    && mkdir -p /var/lib/junction \
    && chown junction:junction /var/lib/junction
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JUNCTION_HOME=/var/lib/junction \
    JUNCTION_LOG_JSON=true \
    JUNCTION_GATEWAY_HOST=0.0.0.0 \
    JUNCTION_GATEWAY_PORT=8000 \
    JUNCTION_HEALTH_PORT=8081 \
    JUNCTION_HEALTH_HOST=0.0.0.0
WORKDIR /var/lib/junction
USER 10001:10001
EXPOSE 8000 8081
CMD ["junction-gateway"]
