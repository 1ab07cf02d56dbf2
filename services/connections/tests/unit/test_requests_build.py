"""Building the request sent to a provider from a manifest, a connection's credential and a relative request:
the URL stays on the manifest's host, the credential goes where the manifest says, the caller's headers are
filtered. A table of built-in providers, then what is refused."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from connections.catalogue.loader import load_catalogue
from connections.catalogue.manifest import Manifest
from connections.requests import (
    Credential,
    ProviderRequest,
    RequestRefused,
    build_request,
    build_test_request,
    expand_path,
)
from connections.requests.urls import Origin, check_host

CATALOGUE = load_catalogue()
KEY = "sk_live_SECRET_42"
TOKEN = "tok_SECRET_42"


def provider(type_: str) -> Manifest:
    found = CATALOGUE.get(type_)
    assert found is not None, type_
    return found


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def custom(**changes: Any) -> Manifest:
    return Manifest.model_validate({
        "type": "local_crm", "name": "Local CRM", "description": "A simulator.", "categories": ["CRM"],
        "docs_url": "http://127.0.0.1:8080/docs", "api_base_url": "http://127.0.0.1:8080/api/",
        "auth": {"kind": "api_key", "location": "query", "name": "api_key"}} | changes)


CASES = [  # provider, credential, path, expected URL, expected headers (besides User-Agent)
    ("anthropic", Credential(secrets={"apiKey": KEY}), "/v1/models",
     "https://api.anthropic.com/v1/models", {"x-api-key": KEY, "anthropic-version": "2023-06-01"}),
    ("shodan", Credential(secrets={"apiKey": KEY}), "/shodan/host/8.8.8.8",
     f"https://api.shodan.io/shodan/host/8.8.8.8?key={KEY}", {}),
    ("companies_house", Credential(secrets={"apiKey": KEY}), "/company/00000006",
     "https://api.company-information.service.gov.uk/company/00000006", {"Authorization": basic(KEY, "")}),
    ("mailgun", Credential({"region": "eu"}, {"apiKey": KEY}), "/v4/domains",
     "https://api.eu.mailgun.net/v4/domains", {"Authorization": basic("api", KEY)}),
    ("zendesk", Credential({"subdomain": "Acme", "username": "a@acme.example/token"}, {"password": KEY}),
     "/tickets.json", "https://acme.zendesk.com/api/v2/tickets.json",
     {"Authorization": basic("a@acme.example/token", KEY)}),
    ("twilio", Credential({"accountSid": "AC1"}, {"authToken": KEY}), "/Accounts/AC1/Messages.json",
     "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", {"Authorization": basic("AC1", KEY)}),
    ("github", Credential(access_token=TOKEN), "/user", "https://api.github.com/user",
     {"Authorization": f"Bearer {TOKEN}", "X-GitHub-Api-Version": "2022-11-28"}),
    ("zoho_crm", Credential({"region": "eu"}, access_token=TOKEN), "/Leads", "https://www.zohoapis.eu/crm/v7/Leads",
     {"Authorization": f"Zoho-oauthtoken {TOKEN}"}),
    ("podio", Credential(access_token=TOKEN), "/user/status", "https://api.podio.com/user/status",
     {"Authorization": f"OAuth2 {TOKEN}"}),
    ("salesforce", Credential({"instance": "acme"}, access_token=TOKEN), "/services/data/v62.0/sobjects",
     "https://acme.my.salesforce.com/services/data/v62.0/sobjects", {"Authorization": f"Bearer {TOKEN}"}),
    ("bigcommerce", Credential({"storeHash": "abc123"}, {"apiKey": KEY}), "/v3/catalog/products",
     "https://api.bigcommerce.com/stores/abc123/v3/catalog/products", {"X-Auth-Token": KEY}),
    ("jira", Credential({"cloudId": "11223344-a1b2-3b33-c444-def123456789"}, access_token=TOKEN),
     "/rest/api/3/myself", "https://api.atlassian.com/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/myself",
     {"Authorization": f"Bearer {TOKEN}"}),
    ("xero", Credential({"tenantId": "t-1"}, access_token=TOKEN), "/Invoices", "https://api.xero.com/api.xro/2.0/Invoices",
     {"Authorization": f"Bearer {TOKEN}", "Xero-tenant-id": "t-1"}),
    ("etsy", Credential({"client_id": "keystring"}, access_token=TOKEN), "/application/openapi-ping",
     "https://openapi.etsy.com/v3/application/openapi-ping", {"Authorization": f"Bearer {TOKEN}",
                                                              "x-api-key": "keystring"}),
    ("datadog", Credential({"region": "eu"}, {"apiKey": KEY}), "/api/v1/validate",
     "https://api.datadoghq.eu/api/v1/validate", {"DD-API-KEY": KEY}),  # no application key: header left out
    ("datadog", Credential(secrets={"apiKey": KEY, "applicationKey": "app"}), "/api/v1/monitor",
     "https://api.datadoghq.com/api/v1/monitor", {"DD-API-KEY": KEY, "DD-APPLICATION-KEY": "app"}),
]


@pytest.mark.parametrize(("type_", "credential", "path", "url", "headers"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_auth_kind_lands_where_the_manifest_says(type_: str, credential: Credential, path: str, url: str,
                                                      headers: dict[str, str]) -> None:
    sent = build_request(provider(type_), credential, ProviderRequest("get", path))
    assert (sent.method, sent.url) == ("GET", url)
    assert dict(sent.headers) == {"User-Agent": "Junction", **headers}


def test_query_strings_of_the_path_and_the_query_are_kept_and_the_credential_parameter_is_the_connections() -> None:
    sent = build_request(provider("pipedrive"), Credential(secrets={"apiKey": KEY}),
                         ProviderRequest("GET", "/v1/deals?api_token=theirs&status=open",
                                         query={"api_token": "mine", "start": "0", "ids": ["1", "2 3"]}))
    assert sent.url == f"https://api.pipedrive.com/api/v1/deals?status=open&start=0&ids=1&ids=2%203&api_token={KEY}"


def test_a_local_base_keeps_its_scheme_and_port() -> None:
    sent = build_request(custom(), Credential(secrets={"apiKey": KEY}), ProviderRequest("POST", "/contacts",
                                                                                        body=b'{"a":1}'))
    assert sent.url == f"http://127.0.0.1:8080/api/contacts?api_key={KEY}"
    assert (sent.host, sent.body) == ("127.0.0.1", b'{"a":1}')


def test_the_credential_test_fills_its_path_from_the_connection() -> None:
    sent = build_test_request(provider("quickbooks"), Credential({"realmId": "9130"}, access_token=TOKEN))
    assert sent.url == "https://quickbooks.api.intuit.com/v3/company/9130/companyinfo/9130"
    assert build_test_request(provider("docusign"), Credential({"server": "na3", "accountId": "a1"},
                                                               access_token=TOKEN)).url == \
        "https://na3.docusign.net/restapi/v2.1/accounts/a1/settings"
    with pytest.raises(RequestRefused, match="no credential test"):
        build_test_request(provider("bigcommerce"), Credential({"storeHash": "x"}, {"apiKey": KEY}))


def test_the_callers_headers_pass_an_allow_list() -> None:
    sent = build_request(provider("anthropic"), Credential(secrets={"apiKey": KEY}), ProviderRequest(
        "POST", "/v1/messages", headers={
            "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": "k1",
            "Host": "evil.example", "Authorization": "Bearer theirs", "Cookie": "a=b", "Connection": "close",
            "Transfer-Encoding": "chunked", "X-Forwarded-For": "10.0.0.1", "x-api-key": "theirs",
            "X-Custom": "1", "User-Agent": "theirs", "anthropic-version": "2024-10-22", "Bad Name": "x"}))
    assert dict(sent.headers) == {"User-Agent": "Junction", "anthropic-version": "2024-10-22",
                                  "Content-Type": "application/json", "Accept": "application/json",
                                  "Idempotency-Key": "k1", "x-api-key": KEY}
    assert set(sent.dropped_headers) == {"Host", "Authorization", "Cookie", "Connection", "Transfer-Encoding",
                                         "X-Forwarded-For", "x-api-key", "X-Custom", "User-Agent", "Bad Name"}


def test_a_templated_manifest_header_and_the_credential_cannot_be_overridden() -> None:
    sent = build_request(provider("xero"), Credential({"tenantId": "t-1"}, access_token=TOKEN), ProviderRequest(
        "GET", "/Invoices", headers={"xero-tenant-id": "t-2", "AUTHORIZATION": "Bearer other"}))
    assert sent.headers["Xero-tenant-id"] == "t-1" and sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "xero-tenant-id" not in sent.headers and sent.dropped_headers == ("xero-tenant-id", "AUTHORIZATION")


GITHUB = Credential(access_token=TOKEN)


@pytest.mark.parametrize("path", [
    "//evil.example/x", "http://evil.example/", "https://api.github.com@evil.example/", "@evil.example/x",
    "evil.example", "", "/%2F%2Fevil.example/x", "/%2f/evil.example", "/\\evil.example", "/%5Cevil.example",
    "/../admin", "/repos/../../x", "/%2e%2e/x", "/.%2E/x", "/%252e%252e/x", "/%25252e%25252e/x", "/./x",
    "/x#frag", "/x y", "/x\r\nHost: evil", "/x%0d%0aHost:%20evil", "/x%00", "/é", "/x%zz", "/{owner}/repo",
    "/%25%32%65%25%32%65/x",
])
def test_a_path_that_could_leave_the_host_or_the_prefix_is_refused(path: str) -> None:
    with pytest.raises(RequestRefused) as refused:
        build_request(provider("github"), GITHUB, ProviderRequest("GET", path))
    assert refused.value.reason == "bad_path"


def test_unusual_but_harmless_paths_pass() -> None:
    for path in ("/repos/o/r/contents/a%2Fb.md", "/v4/spreadsheets/1:batchUpdate", "/users/@me", "/"):
        assert build_request(provider("github"), GITHUB, ProviderRequest("GET", path)).url == \
            "https://api.github.com" + path


@pytest.mark.parametrize("value", ["evil.example", "evil.example#", "a/b", "a@b", "a:443", "a?", "..", "-a", "",
                                   "a b", "a%2eb", "ab\r\n"])
def test_a_host_value_that_is_not_a_plain_label_is_refused(value: str) -> None:
    with pytest.raises(RequestRefused) as refused:
        build_request(provider("zendesk"), Credential({"subdomain": value, "username": "u"}, {"password": "p"}),
                      ProviderRequest("GET", "/tickets.json"))
    assert refused.value.reason in {"bad_value", "missing_value"}


@pytest.mark.parametrize("value", ["a/b", "..", "a..b", "a@b", "a:b", "a?b", "a#b", "%2e%2e", ".hidden", ""])
def test_a_path_prefix_value_that_is_not_a_plain_segment_is_refused(value: str) -> None:
    with pytest.raises(RequestRefused):
        build_request(provider("bigcommerce"), Credential({"storeHash": value}, {"apiKey": KEY}),
                      ProviderRequest("GET", "/v3/catalog/products"))


@pytest.mark.parametrize(("type_", "credential", "reason"), [
    ("github", Credential(), "no_credential"),
    ("github", Credential(access_token="a b"), "bad_value"),
    ("anthropic", Credential(), "missing_value"),
    ("anthropic", Credential(secrets={"apiKey": "k\r\nHost: evil"}), "bad_value"),
    ("xero", Credential(access_token=TOKEN), "missing_value"),  # a required field its header names
    ("jira", Credential(access_token=TOKEN), "missing_value"),  # a field its path prefix names
    ("mailgun", Credential({"region": "mars"}, {"apiKey": KEY}), "unknown_region"),
    ("zendesk", Credential({"subdomain": "acme", "username": "a:b"}, {"password": KEY}), "bad_value"),
])
def test_a_credential_that_cannot_be_sent_is_refused_without_its_secret(type_: str, credential: Credential,
                                                                        reason: str) -> None:
    with pytest.raises(RequestRefused) as refused:
        build_request(provider(type_), credential, ProviderRequest("GET", "/x"))
    assert refused.value.reason == reason
    assert KEY not in str(refused.value) and "Host: evil" not in str(refused.value)


def test_a_caller_header_spanning_lines_or_an_unknown_method_is_refused() -> None:
    with pytest.raises(RequestRefused, match="spans lines"):
        build_request(provider("github"), GITHUB, ProviderRequest("GET", "/user", headers={"Accept": "a\r\nX: y"}))
    with pytest.raises(RequestRefused, match="method"):
        build_request(provider("github"), GITHUB, ProviderRequest("CONNECT", "/user"))


def test_the_final_host_is_checked_and_secrets_stay_out_of_reprs() -> None:
    with pytest.raises(RequestRefused, match="host"):
        check_host("https://evil.example/x", Origin("https", "api.github.com", 443, ""))
    with pytest.raises(RequestRefused, match="host"):
        check_host("https://u@api.github.com/x", Origin("https", "api.github.com", 443, ""))
    check_host("https://api.github.com:443/x", Origin("https", "api.github.com", 443, ""))
    credential = Credential({"subdomain": "acme"}, {"apiKey": KEY}, access_token=TOKEN)
    sent = build_request(provider("anthropic"), credential, ProviderRequest("GET", "/v1/models"))
    assert KEY not in repr(credential) and TOKEN not in repr(credential) and KEY not in repr(sent)


def test_expand_path_encodes_each_value_whole() -> None:
    assert expand_path("/lists/{listId}/members/{hash}?since={since}",
                       {"listId": "a/b", "hash": "x y", "since": "2024-01-01T00:00:00+00:00"}) == \
        "/lists/a%2Fb/members/x%20y?since=2024-01-01T00%3A00%3A00%2B00%3A00"
    for values in ({"listId": ".."}, {}):
        with pytest.raises(RequestRefused):
            expand_path("/lists/{listId}", values)
