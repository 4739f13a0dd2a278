"""The router's hash in Python: the vectors the TypeScript tests check (test/fixtures/router/hash-vectors.json)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from learnloop import BUCKETS, bucket_of
from learnloop.hashing import murmur3_x86_32, utf8


def test_murmur3_matches_the_reference_vectors(hash_vectors: dict[str, Any]) -> None:
    assert len(hash_vectors["murmur3"]) == 8
    for v in hash_vectors["murmur3"]:
        assert murmur3_x86_32(utf8(v["text"]), int(v["seed"], 16)) == int(v["hash"], 16), v


def test_utf8_replaces_unpaired_surrogates_as_the_router_does(hash_vectors: dict[str, Any]) -> None:
    assert len(hash_vectors["utf8"]) == 2
    for v in hash_vectors["utf8"]:
        assert utf8(v["text"]).hex() == v["hex"], v


def test_buckets_match_the_documented_vectors(hash_vectors: dict[str, Any]) -> None:
    assert len(hash_vectors["buckets"]) == 10
    for v in hash_vectors["buckets"]:
        key = utf8(f"{v['salt']}:{v['unit']}")
        assert key.hex() == v["keyHex"], v["unit"]
        assert murmur3_x86_32(key) == int(v["hash"], 16), v["unit"]
        assert bucket_of(v["salt"], v["unit"]) == v["bucket"], v["unit"]


def test_a_surrogate_pair_held_as_two_code_points_is_one_character() -> None:
    # What a JavaScript string holds for U+1F98A, and what Python gets from some decoders.
    assert utf8("user-\ud83e\udd8a") == "user-\U0001f98a".encode()
    assert bucket_of("salt-1", "\ud83e\udd8a") == 9363


def _expected_utf8(text: str) -> bytes:
    """The WHATWG encoding, written out independently: pairs joined, lone surrogates as U+FFFD."""
    out = []
    i = 0
    while i < len(text):
        c = ord(text[i])
        nxt = ord(text[i + 1]) if i + 1 < len(text) else 0
        if 0xD800 <= c <= 0xDBFF and 0xDC00 <= nxt <= 0xDFFF:
            out.append(chr(0x10000 + ((c - 0xD800) << 10) + (nxt - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if 0xD800 <= c <= 0xDFFF else text[i])
        i += 1
    return "".join(out).encode("utf-8")


@given(st.lists(st.integers(min_value=0, max_value=0x10FFFF), max_size=16).map(lambda cs: "".join(map(chr, cs))))
def test_utf8_encodes_any_string_like_textencoder(text: str) -> None:
    assert utf8(text) == _expected_utf8(text)


@given(st.lists(st.integers(min_value=0xD700, max_value=0xE000), max_size=8).map(lambda cs: "".join(map(chr, cs))))
def test_utf8_handles_strings_dense_in_surrogates(text: str) -> None:
    assert utf8(text) == _expected_utf8(text)


@given(st.text(min_size=1), st.text())
def test_every_bucket_is_in_range(salt: str, unit: str) -> None:
    assert 0 <= bucket_of(salt, unit) < BUCKETS
