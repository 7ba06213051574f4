"""The position index maps every JSON pointer to its place in the text."""

from __future__ import annotations

from iamd.validation import positions


def test_members_items_and_escaped_keys() -> None:
    text = '{\n  "a/b": [1, {"c~d": "x\\"y"}],\n  "é": true\n}'
    source = positions.index(text)
    assert source.nodes["/a~1b/0"].value == (text.index("1"), text.index("1") + 1)
    node = source.nodes["/a~1b/1/c~0d"]
    assert text[node.value[0] : node.value[1]] == '"x\\"y"'
    assert node.key is not None and text[node.key[0] : node.key[1]] == '"c~d"'
    span = source.span("/é")
    assert span is not None
    assert (span.start.line, span.start.column) == (3, 3)
    assert (span.end.line, span.end.column) == (3, 12)


def test_missing_pointers_fall_back_to_the_nearest_ancestor() -> None:
    text = '{"Statement": {"Effect": "Allow"}}'
    source = positions.index(text)
    span = source.span("/Statement/Action")
    assert span is not None and span.start.offset == text.index('"Statement"')
    whole = source.span("")
    assert whole is not None and (whole.start.offset, whole.end.offset) == (0, len(text))


def test_numbers_literals_and_duplicates() -> None:
    text = '{"n": -1.5e3, "t": null, "n": NaN}'
    source = positions.index(text)
    assert source.duplicates == [("/n", "n")]
    assert "/t" in source.nodes
