"""Resource types and which of them an ARN or ARN pattern can name."""

from __future__ import annotations

import pytest

from iamd.catalog import resources
from iamd.catalog.arns import ArnPattern


def names(arn: str) -> set[tuple[str, str]]:
    return {(t.service, t.name) for t in resources.matching_resource_types(arn)}


def test_s3_bucket_and_object_are_told_apart() -> None:
    assert ("s3", "bucket") in names("arn:aws:s3:::my-bucket")
    assert ("s3", "object") not in names("arn:aws:s3:::my-bucket")
    assert ("s3", "object") in names("arn:aws:s3:::my-bucket/key.txt")


def test_patterns_name_every_type_they_can_overlap() -> None:
    found = names("arn:aws:s3:::my-bucket*")
    assert {("s3", "bucket"), ("s3", "object")} <= found


def test_iam_role_is_found_under_its_own_service() -> None:
    assert ("iam", "role") in names("arn:aws:iam::111122223333:role/app")
    assert ("iam", "user") not in names("arn:aws:iam::111122223333:role/app")


def test_arns_that_are_not_six_fields_name_nothing() -> None:
    assert resources.matching_resource_types("arn:aws:s3") == ()
    assert resources.matching_resource_types("*") == ()
    assert ArnPattern.parse("arn:aws:iam::123") is None


def test_variables_do_not_split_fields() -> None:
    pattern = ArnPattern.parse("arn:aws:s3:::corp/${aws:username}/*")
    assert pattern is not None
    assert ("s3", "object") in names("arn:aws:s3:::corp/${aws:username}/*")
    # In a 2008 policy the text is literal: the resource field is everything after five colons.
    literal = ArnPattern.parse("arn:aws:s3:::b/${aws:username}", variables=False)
    assert literal is not None and literal.literal_field(5) == "b/${aws:username}"
    variable = ArnPattern.parse("arn:aws:s3:::b/${aws:username}")
    assert variable is not None and variable.literal_field(5) is None


def test_type_fields() -> None:
    bucket = resources.resource_type("s3", "bucket")
    assert bucket is not None
    assert bucket.arn_format == "arn:${Partition}:s3:::${BucketName}"
    assert (bucket.region_field, bucket.account_field) == ("", "")
    instance = resources.resource_type("ec2", "instance")
    assert instance is not None and instance.region_field == "${Region}"
    assert resources.resource_type("s3", "nosuch") is None
    assert resources.resource_types_for_service("nosuch") == ()


@pytest.mark.parametrize("service", ["s3", "iam", "ec2", "lambda", "kms"])
def test_arn_services_are_indexed(service: str) -> None:
    assert service in resources.arn_services()
    assert resources.resource_types_for_arn_service(service)
