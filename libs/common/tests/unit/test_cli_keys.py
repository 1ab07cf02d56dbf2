"""`junction keys rotate`: parsed as documented; its exit status says whether every service rotated everything."""

from __future__ import annotations

import pytest

from junction_common.cli.keys_cmd import ROTATING_SERVICES, succeeded
from junction_common.cli.main import build_parser


def test_keys_rotate_is_a_command_of_its_own() -> None:
    args = build_parser().parse_args(["keys", "rotate"])
    assert args.keys_command == "rotate" and args.service is None
    assert build_parser().parse_args(["keys", "rotate", "--service", "connections"]).service == ["connections"]
    assert "connections" in ROTATING_SERVICES
    with pytest.raises(SystemExit):
        build_parser().parse_args(["keys", "rotate", "--service", "crm"])


def test_success_needs_every_service_done_without_failures() -> None:
    done = {"active_key": "k2", "rotated": 3, "current": 1, "failed": []}
    assert succeeded({"connections": done})
    assert not succeeded({"connections": {**done, "failed": ["conn_1"]}})
    assert not succeeded({"connections": {"error": "the connections service did not answer: TimeoutError"}})
