"""Shared settings: development secrets are refused outside development; name prefixes."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from junction_common.settings import DEV_SIGNING_SECRET, DEV_VAULT_KEYS, JunctionSettings

REAL_KEYS = "prod1:" + base64.b64encode(b"p" * 32).decode()
REAL_SECRET = "a-real-production-signing-secret"
REAL_INTERNAL = "a-real-production-internal-secret"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read JUNCTION_* from the environment; start each test from none."""
    for name in list(os.environ):
        if name.upper().startswith("JUNCTION_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("env", ["production", "staging", "Development"])
def test_dev_defaults_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="must be set outside development"):
        JunctionSettings(env=env)


def test_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        JunctionSettings(env="production")


def test_dev_signing_secret_alone_is_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        JunctionSettings(env="production", vault_keys=REAL_KEYS, vault_active_key="prod1")


def test_dev_vault_keys_alone_are_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        JunctionSettings(env="production", signing_secret=REAL_SECRET)


def test_dev_internal_secret_alone_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="JUNCTION_INTERNAL_SECRET"):
        JunctionSettings(env="production", signing_secret=REAL_SECRET, vault_keys=REAL_KEYS, vault_active_key="prod1")


def test_production_from_environment_variables_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNCTION_ENV", "production")
    with pytest.raises(ValidationError):
        JunctionSettings()


def test_production_with_real_secrets_is_accepted() -> None:
    settings = JunctionSettings(
        env="production", signing_secret=REAL_SECRET, vault_keys=REAL_KEYS, vault_active_key="prod1",
        internal_secret=REAL_INTERNAL,
    )
    assert settings.env == "production"


def test_production_with_real_secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNCTION_ENV", "production")
    monkeypatch.setenv("JUNCTION_SIGNING_SECRET", REAL_SECRET)
    monkeypatch.setenv("JUNCTION_VAULT_KEYS", REAL_KEYS)
    monkeypatch.setenv("JUNCTION_INTERNAL_SECRET", REAL_INTERNAL)
    settings = JunctionSettings()
    assert settings.signing_secret == REAL_SECRET
    assert settings.vault_keys == REAL_KEYS


@pytest.mark.parametrize("env", ["development", "test"])
def test_dev_defaults_accepted_in_development_and_test(env: str) -> None:
    settings = JunctionSettings(env=env)
    assert settings.signing_secret == DEV_SIGNING_SECRET
    assert settings.vault_keys == DEV_VAULT_KEYS


def test_default_env_is_development() -> None:
    assert JunctionSettings().env == "development"


def test_topic_prefix() -> None:
    assert JunctionSettings().topic("crm.commands") == "crm.commands"
    assert JunctionSettings(topic_prefix="t42.").topic("crm.commands") == "t42.crm.commands"


def test_db_name_prefix() -> None:
    assert JunctionSettings().db_name("crm") == "junction_crm"
    assert JunctionSettings(db_prefix="t42_").db_name("identity") == "t42_identity"


def test_prefixes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNCTION_TOPIC_PREFIX", "ci.")
    monkeypatch.setenv("JUNCTION_DB_PREFIX", "ci_")
    settings = JunctionSettings()
    assert settings.topic("crm.contact.events") == "ci.crm.contact.events"
    assert settings.db_name("crm") == "ci_crm"
