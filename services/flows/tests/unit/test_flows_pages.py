"""A poll round's paging (flows.triggers.pages): each pagination style's next page, the bound, where records sit.
Pure."""

from __future__ import annotations

from flows.triggers.pages import Paging, link_next, max_pages, records_of, with_query

BASE = "https://api.example.com/v2"


def test_pagination_is_read_from_a_manifest_or_a_config() -> None:
    manifest = Paging.of({"style": "cursor", "token_path": "meta.next", "page_size": 50, "size_param": "limit"})
    config = Paging.of({"style": "cursor", "tokenPath": "meta.next", "pageSize": 50, "sizeParam": "limit"})
    assert manifest == config and manifest.first() == {"limit": "50"}
    assert Paging.of(None).style == "none" and Paging.of({"style": "sideways"}).style == "none"


def test_page_and_offset_stop_at_a_short_page() -> None:
    page = Paging.of({"style": "page", "page_size": 2, "start_from": 0})
    assert page.first() == {"page": "0"}
    assert page.next({"page": "0"}, [{}, {}], {}, 2, BASE) == (None, {"page": "1"})
    assert page.next({"page": "1"}, [{}], {}, 1, BASE) is None
    offset = Paging.of({"style": "offset", "param": "skip", "page_size": 2})
    assert offset.next(offset.first(), [], {}, 2, BASE) == (None, {"skip": "2"})
    assert offset.next({"skip": "2"}, [], {}, 0, BASE) is None


def test_cursor_next_url_and_link_follow_the_answer() -> None:
    cursor = Paging.of({"style": "cursor", "token_path": "meta.next"})
    assert cursor.next({}, {"meta": {"next": "abc"}}, {}, 3, BASE) == (None, {"cursor": "abc"})
    assert cursor.next({}, {"meta": {"next": None}}, {}, 3, BASE) is None
    assert cursor.next({}, {"meta": {"next": "abc"}}, {}, 0, BASE) is None  # an empty page ends the round
    next_url = Paging.of({"style": "next_url", "token_path": "next"})
    assert next_url.next({}, {"next": f"{BASE}/items?page=2"}, {}, 1, BASE) == ("/items?page=2", {})
    assert next_url.next({}, {"next": "https://evil.example.com/v2/items"}, {}, 1, BASE) is None
    link = Paging.of({"style": "link"})
    header = f'<{BASE}/items?page=1>; rel="prev", <{BASE}/items?page=3>; rel="next"'
    assert link.next({}, [], {"link": header}, 1, BASE) == ("/items?page=3", {})
    assert link_next('<x>; rel="last"') is None


def test_records_bounds_and_query() -> None:
    assert records_of({"result": {"rows": [{"id": 1}, 2]}}, "s", "result.rows") == [{"id": 1}]
    assert records_of({"data": [{"id": 1}]}, "s") == [{"id": 1}]
    assert max_pages({}) == 10 and max_pages({"maxPages": 500}) == 100 and max_pages({"maxPages": "x"}) == 10
    assert with_query("/items?sort=id", {"cursor": "a b"}) == "/items?sort=id&cursor=a+b"
    assert with_query("/items", {}) == "/items"
