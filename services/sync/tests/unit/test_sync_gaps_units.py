"""Pure parts of the sync gaps: stream names and aliases, a failure's page, notification recipients, paused
streams in a run's view."""

from __future__ import annotations

import pytest

from sync.app.runs_errors import failed_page
from sync.app.runs_streams import UnknownStream, names_of, resolve
from sync.app.runs_views import run_view
from sync.domain import run_notice

PIPEDRIVE = {"streams": [{"name": "deals"}, {"name": "persons", "aliases": ["contacts"]},
                         {"name": "organizations", "aliases": ["companies"]}]}


def test_a_stream_answers_to_its_name_and_its_aliases() -> None:
    assert names_of(PIPEDRIVE) == {"deals": "deals", "persons": "persons", "organizations": "organizations",
                                   "contacts": "persons", "companies": "organizations"}
    assert resolve(PIPEDRIVE, ["contacts", "deals"], strict=True) == {"persons": "contacts", "deals": "deals"}
    assert resolve(PIPEDRIVE, [], strict=True) == {}


def test_an_unknown_or_doubled_stream_is_refused_at_its_index() -> None:
    with pytest.raises(UnknownStream) as unknown:
        resolve(PIPEDRIVE, ["contacts", "tickets"], strict=True)
    assert unknown.value.index == 1 and "tickets" in unknown.value.message
    with pytest.raises(UnknownStream) as twice:
        resolve(PIPEDRIVE, ["persons", "contacts"], strict=False)
    assert twice.value.index == 1
    # A source that discovers its own streams: names it does not declare pass for the run to check.
    assert resolve({}, ["users"], strict=False) == {"users": "users"}


def test_a_failure_names_the_request_that_failed_else_how_far_it_read() -> None:
    message = "HTTP 401 Unauthorized (GET http://127.0.0.1:9/v2/deals?cursor=abc&limit=50 failed)"
    assert failed_page(message, 120) == "/v2/deals?cursor=abc&limit=50"
    assert failed_page("the source exited with status 1", 120) == "after record 120"
    assert failed_page("the source exited with status 1", 0) is None


def test_all_members_are_the_members_at_send_time_but_the_trigger() -> None:
    told = run_notice.recipients([], "mem_2", ["mem_1", "mem_2", "mem_3"])
    assert told == {"all_members": True, "excluded": ["mem_2"], "recipients": ["mem_1", "mem_3"]}
    assert run_notice.recipients(["u1"], None, ["mem_1"])["recipients"] == ["u1"]  # named users only


def test_a_run_lists_its_paused_streams() -> None:
    doc = {"_id": "run_1", "status": "COMPLETED",
           "stream_results": {"b": {"rows_synced": 1, "paused": True}, "a": {"rows_synced": 2}}}
    assert run_view(doc)["pausedStreams"] == ["b"]
