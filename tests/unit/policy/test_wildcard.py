"""Wildcard matching: ``*`` and ``?``, with every other character literal."""

from __future__ import annotations

import pytest

from iamd.policy.wildcard import compile_glob, match_pieces


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("a*", "a", True),
        ("a*", "abc/def:ghi", True),
        ("*c", "abc", True),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a*b*c", "a-b-b-c", True),
        ("a*b*c", "a-c-b", False),
        ("*", "", True),
        ("??", "a", False),
        ("a.c", "abc", False),  # '.' is literal, not a regex wildcard
        ("a+", "aa", False),
        ("(x)", "(x)", True),
        ("[ab]", "a", False),
        ("*a?b*", "xxaZbyy", True),
    ],
)
def test_static_and_dynamic_matchers_agree(pattern: str, subject: str, expected: bool) -> None:
    assert (compile_glob(pattern).fullmatch(subject) is not None) is expected
    assert match_pieces([(pattern, True)], subject) is expected


def test_literal_pieces_do_not_act_as_wildcards() -> None:
    """A resolved variable or a ${*} escape matches only itself."""
    assert match_pieces([("home/", True), ("*", False)], "home/*")
    assert not match_pieces([("home/", True), ("*", False)], "home/bob")
    assert match_pieces([("home/", True), ("b?b", False), ("/*", True)], "home/b?b/x")
    assert not match_pieces([("home/", True), ("b?b", False), ("/*", True)], "home/bob/x")


def test_case_folding_is_opt_in() -> None:
    assert not match_pieces([("S3:Get*", True)], "s3:getobject")
    assert match_pieces([("S3:Get*", True)], "s3:getobject", fold=True)
    assert compile_glob("S3:Get*", fold=True).fullmatch("s3:GETOBJECT")
