"""Reading real-world ``get-account-authorization-details`` files.

The API returns policy documents URL-encoded (RFC 3986); the CLI usually prints them decoded,
but older versions and other exporters do not.  Optional members are left out when empty.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
("The returned policy is URL-encoded compliant with RFC 3986")
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from iamd.analysis.account import AccountFileError, load_account
from support.analysis_builder import ADMIN_ARN, ALLOW_ALL, Account, allow, analyse, paths_of


def _mallory_can_put_own_policy() -> Account:
    a = Account()
    a.user("mallory", inline=allow("iam:PutUserPolicy", a.arn("user", "mallory")))
    return a


def test_url_encoded_documents_are_decoded() -> None:
    a = _mallory_can_put_own_policy()
    data = a.data()
    for user in data["UserDetailList"]:
        for item in user["UserPolicyList"]:
            item["PolicyDocument"] = quote(json.dumps(item["PolicyDocument"]), safe="")
    for policy in data["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = quote(json.dumps(version["Document"]), safe="")
    account = load_account(data)
    assert account.users[0].inline[0].document["Statement"][0]["Action"] == "iam:PutUserPolicy"
    assert account.policies[ADMIN_ARN].document == ALLOW_ALL
    assert paths_of(analyse(data)) == {"mallory": [("iam:PutUserPolicy", "mallory")]}


def test_json_text_documents_are_read() -> None:
    data = _mallory_can_put_own_policy().data()
    item = data["UserDetailList"][0]["UserPolicyList"][0]
    item["PolicyDocument"] = json.dumps(item["PolicyDocument"])
    assert paths_of(analyse(data)) == {"mallory": [("iam:PutUserPolicy", "mallory")]}


def test_missing_optional_members_are_tolerated() -> None:
    data = {
        "UserDetailList": [{"UserName": "bare", "Arn": "arn:aws:iam::111122223333:user/bare"}],
        "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r"}],
    }
    account = load_account(data)
    assert account.account_id == "111122223333"
    assert account.users[0].groups == () and account.roles[0].trust is None
    report = analyse(data, credentials=None)
    assert report.findings == []


def test_attached_aws_managed_policy_missing_from_the_file_is_looked_up() -> None:
    a = Account()
    a.user("boss", attached=[ADMIN_ARN])
    data = a.data()
    data["Policies"] = []
    lookups: list[str] = []

    def lookup(arn: str) -> str | None:
        lookups.append(arn)
        return json.dumps(ALLOW_ALL) if arn == ADMIN_ARN else None

    account = load_account(data, managed=lookup)
    assert lookups == [ADMIN_ARN]
    assert account.policies[ADMIN_ARN].document == ALLOW_ALL
    assert not account.notes


def test_a_policy_that_cannot_be_found_is_noted() -> None:
    a = Account()
    a.user("boss", attached=["arn:aws:iam::aws:policy/Unheard"])
    account = load_account(a.data(), managed=lambda arn: None)
    assert any("Unheard" in note and "ignored" in note for note in account.notes)


def test_a_broken_document_is_noted_and_skipped() -> None:
    a = _mallory_can_put_own_policy()
    a.user("broken", inline={"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})
    data = a.data()
    data["UserDetailList"][0]["UserPolicyList"].append(
        {"PolicyName": "garbled", "PolicyDocument": "{not json"}
    )
    report = analyse(data)
    assert any("garbled" in n and "not valid JSON" in n for n in report.notes)
    assert any("broken-inline" in n for n in report.notes)
    assert paths_of(report) == {"mallory": [("iam:PutUserPolicy", "mallory")]}


@pytest.mark.parametrize("data", [[], {"Users": []}, "not json"])
def test_other_files_are_refused(data: object) -> None:
    with pytest.raises(AccountFileError):
        load_account(data)


def test_a_boundary_whose_document_is_unknown_blocks_rather_than_allows() -> None:
    a = Account()
    a.user(
        "mallory",
        inline=allow("iam:PutUserPolicy", a.arn("user", "mallory")),
        boundary="arn:aws:iam::111122223333:policy/NotInFile",
    )
    report = analyse(a.data())
    assert paths_of(report) == {}
    assert any("NotInFile" in n for n in report.notes)
