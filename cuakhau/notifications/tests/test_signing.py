"""The signature scheme enterprises copy: sign and verify, and what verification refuses."""

from __future__ import annotations

from cuakhau.notifications.signing import parse, sign, signature, verify

SECRET = "whsec_test"
BODY = b'{"id":"trip-event-1","kind":"trip.called","data":{"code":"ABCD2345"}}'
T = 1_800_000_000


def test_a_signed_body_verifies() -> None:
    header = sign(SECRET, BODY, T)
    assert header == f"t={T},v1={signature(SECRET, BODY, T)}"
    assert verify(SECRET, BODY, header, now=T + 10)


def test_the_signature_is_hmac_sha256_over_time_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, BODY, T) == expected


def test_a_changed_body_another_secret_or_an_old_request_is_refused() -> None:
    header = sign(SECRET, BODY, T)
    assert not verify(SECRET, BODY + b" ", header, now=T)
    assert not verify("whsec_other", BODY, header, now=T)
    assert not verify(SECRET, BODY, header, now=T + 301)
    assert not verify(SECRET, BODY, header, now=T - 301)
    assert verify(SECRET, BODY, header, now=T + 600, tolerance_s=900)


def test_malformed_headers_are_refused() -> None:
    for header in ("", "t=1", "v1=abc", "t=abc,v1=00", "nonsense", f"t=-{T},v1=00", "t=1,,v1=2"):
        assert not verify(SECRET, BODY, header, now=T), header
    assert parse("t=12,v1=aa,v1=bb") == (12, ["aa", "bb"])


def test_a_second_signature_for_secret_rotation_is_accepted() -> None:
    good = signature(SECRET, BODY, T)
    assert verify(SECRET, BODY, f"t={T},v1={'0' * 64},v1={good}", now=T)
