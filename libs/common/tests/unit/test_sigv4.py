"""SigV4 against AWS's published vectors: the Signature Version 4 test suite (credentials AKIDEXAMPLE, region
us-east-1, service "service", 20150830T123600Z) and the S3 GetObject example of the S3 API reference."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from junction_common.object_store import sigv4
from junction_common.object_store.sigv4 import Credentials, Request

SUITE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = "20150830T123600Z"
HOST = {"Host": "example.amazonaws.com", "X-Amz-Date": WHEN}
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"


def suite_auth(request: Request, payload_hash: str = sigv4.EMPTY_SHA256) -> str:
    return sigv4.authorization(request, payload_hash, SUITE, "us-east-1", "service", WHEN)


def test_get_vanilla_canonical_request_string_to_sign_and_signature():
    request = Request("GET", "/", [], HOST)
    canonical = sigv4.canonical_request(request, sigv4.EMPTY_SHA256)
    assert canonical == ("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert sigv4.string_to_sign(WHEN, "20150830/us-east-1/service/aws4_request", canonical) == (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
    assert suite_auth(request) == (
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def test_get_vanilla_query_order_key_case_sorts_parameters():
    request = Request("GET", "/", [("Param2", "value2"), ("Param1", "value1")], HOST)
    assert sigv4.canonical_query(request.query) == "Param1=value1&Param2=value2"
    assert suite_auth(request).endswith("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")


def test_get_header_value_trim_collapses_spaces():
    request = Request("GET", "/", [], {**HOST, "My-Header1": " value1", "My-Header2": ' "a   b   c"'})
    assert suite_auth(request) == (
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;my-header1;my-header2;x-amz-date, "
        "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")


def test_post_x_www_form_urlencoded_signs_the_body_hash():
    request = Request("POST", "/", [], {**HOST, "Content-Type": "application/x-www-form-urlencoded"})
    payload = hashlib.sha256(b"Param1=value1").hexdigest()
    assert suite_auth(request, payload).endswith(
        "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")


def test_s3_get_object_example_from_the_s3_api_reference():
    creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    request = Request("GET", "/test.txt", [], {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"})
    headers = sigv4.sign_s3(request, sigv4.EMPTY_SHA256, creds, "us-east-1", datetime(2013, 5, 24, tzinfo=UTC))
    assert headers["x-amz-date"] == "20130524T000000Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_uri_encoding_keeps_only_unreserved_characters():
    assert sigv4.uri_encode("a b/c~d_e.f-g+h=") == "a%20b%2Fc~d_e.f-g%2Bh%3D"
    assert sigv4.canonical_query([("prefix", "ws 1/"), ("list-type", "2")]) == "list-type=2&prefix=ws%201%2F"


def test_credentials_never_show_the_secret():
    assert "EXAMPLEKEY" not in repr(SUITE) and "EXAMPLEKEY" not in str(SUITE)
