"""Choosing and addressing the object store: settings refuse an incomplete S3 setup, keep the secret hidden, and
keys map to path-style or virtual-hosted URLs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from junction_common.object_store import LocalObjectStore, S3Config, S3ObjectStore, open_object_store
from junction_common.object_store.settings import ObjectStoreSettings
from junction_common.object_store.sigv4 import Credentials

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def s3_settings(**overrides: object) -> ObjectStoreSettings:
    values: dict[str, object] = {"env": "test", "object_store": "s3", "s3_bucket": "assets",
                                 "s3_access_key_id": "AKIDEXAMPLE", "s3_secret_access_key": SECRET, **overrides}
    return ObjectStoreSettings(**values)  # type: ignore[arg-type]


def test_local_is_the_default(tmp_path):
    store = open_object_store(ObjectStoreSettings(env="test", home=tmp_path))
    assert isinstance(store, LocalObjectStore) and store.root == tmp_path / "objects"


def test_s3_needs_a_bucket_and_a_key():
    with pytest.raises(ValidationError) as refused:
        s3_settings(s3_bucket="", s3_secret_access_key="")
    assert "JUNCTION_S3_BUCKET" in str(refused.value) and "JUNCTION_S3_SECRET_ACCESS_KEY" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_the_secret_is_never_shown():
    settings = s3_settings()
    store = open_object_store(settings)
    assert isinstance(store, S3ObjectStore) and store.config.credentials.secret_access_key == SECRET
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(store.config)):
        assert SECRET not in shown


def test_aws_endpoint_by_default_virtual_hosted():
    config = S3Config.from_settings(s3_settings(s3_region="eu-west-3"))
    url, host, path = S3ObjectStore(config).location("wrk_1/asset_1")
    assert (url, host, path) == ("https://assets.s3.eu-west-3.amazonaws.com/wrk_1/asset_1",
                                 "assets.s3.eu-west-3.amazonaws.com", "/wrk_1/asset_1")


def test_path_style_keeps_the_endpoint_and_encodes_each_segment():
    config = S3Config("http://127.0.0.1:9000/", "assets", "us-east-1", Credentials("a", "b"), path_style=True,
                      key_prefix="prod/")
    store = S3ObjectStore(config)
    assert store.key("wrk_1", "exp 1+") == "prod/wrk_1/exp 1+"
    assert store.location(store.key("wrk_1", "exp 1+")) == (
        "http://127.0.0.1:9000/assets/prod/wrk_1/exp%201%2B", "127.0.0.1:9000", "/assets/prod/wrk_1/exp%201%2B")
