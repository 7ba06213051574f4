"""iamd's issue codes agree with Access Analyzer's list in shared/reference."""

from __future__ import annotations

from pathlib import Path

from iamd.validation.codes import CODES


def _reference(shared_dir: Path) -> dict[str, str]:
    table = shared_dir / "reference" / "access-analyzer-policy-checks.tsv"
    out = {}
    for line in table.read_text().splitlines():
        if line.strip():
            finding_type, code, _title = line.split("\t")
            out[code] = finding_type
    return out


def test_aws_codes_have_access_analyzers_type_and_others_are_marked(shared_dir: Path) -> None:
    reference = _reference(shared_dir)
    for code, entry in CODES.items():
        if entry.aws:
            assert code in reference, code
            assert reference[code] == entry.type.value, code
        else:
            assert code not in reference, code
            assert entry.help_uri is None


def test_titles_are_present() -> None:
    assert all(entry.title for entry in CODES.values())
