"""Pattern algebra: overlap and containment of two wildcard patterns."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.catalog import globs
from iamd.catalog.globs import contains, glob, overlaps, template


def test_overlap() -> None:
    assert overlaps(glob("a*"), glob("*b"))
    assert overlaps(glob("role/*"), template("role/${RoleNameWithPath}"))
    assert not overlaps(glob("user/*"), template("role/${RoleNameWithPath}"))
    assert overlaps(glob("a?c"), glob("abc"))
    assert not overlaps(glob("abc"), glob("abd"))
    assert overlaps(glob("ABC"), glob("abc"), fold=True)
    assert not overlaps(glob("ABC"), glob("abc"))


def test_nonempty_placeholders() -> None:
    assert not overlaps(template("tag/${Key}", nonempty=True), glob("tag/"))
    assert overlaps(template("tag/${Key}", nonempty=True), glob("tag/x"))
    assert template("<key>") == (globs.STAR,)


def test_containment() -> None:
    assert contains(glob("role/jane*"), glob("role/jane-admin"))
    assert contains(glob("*"), glob("any*thing?"))
    assert contains(glob("iam:Get*"), glob("iam:GetUser*"))
    assert not contains(glob("iam:GetUser*"), glob("iam:Get*"))
    assert not contains(glob("a?"), glob("a*"))
    assert contains(glob("a*"), glob("a?"))


def test_variables_are_unknown_text() -> None:
    from iamd.policy.variables import parse_template

    var = globs.from_parts(parse_template("home/${aws:username}/*"))
    assert overlaps(var, glob("home/bob/notes"))
    assert contains(glob("home/*"), var)
    assert not contains(glob("home/bob/*"), var)


_ALPHABET = st.text(alphabet="ab*?", max_size=6)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


@settings(max_examples=300, deadline=None)
@given(_ALPHABET, _ALPHABET, st.lists(st.text(alphabet="ab", max_size=6), max_size=20))
def test_containment_is_sound(outer: str, inner: str, samples: list[str]) -> None:
    if contains(glob(outer), glob(inner)):
        inner_re, outer_re = _regex(inner), _regex(outer)
        for sample in samples:
            if inner_re.fullmatch(sample):
                assert outer_re.fullmatch(sample)


@settings(max_examples=300, deadline=None)
@given(_ALPHABET, _ALPHABET, st.lists(st.text(alphabet="ab", max_size=6), max_size=20))
def test_overlap_is_complete(a: str, b: str, samples: list[str]) -> None:
    """If some string matches both, overlap says so."""
    a_re, b_re = _regex(a), _regex(b)
    if any(a_re.fullmatch(s) and b_re.fullmatch(s) for s in samples):
        assert overlaps(glob(a), glob(b))
