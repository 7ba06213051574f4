"""``ec2:ResourceTag/<key>`` and ``aws:ResourceTag/<key>`` of the EC2 resources a request names,
read from the backend with DescribeTags when a policy that applies looks at them.

https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-iam.html (resource tags)
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html
"""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

from iamd.authorize.context import ContextValue

PREFIXES = ("ec2:resourcetag/", "aws:resourcetag/")


def resource_id(arn: str) -> str | None:
    """``i-0abc`` of ``arn:aws:ec2:region:account:instance/i-0abc``; None for other ARNs."""
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[2] != "ec2" or "/" not in fields[5]:
        return None
    return fields[5].split("/", 1)[1] or None


def describe_tags_body(ids: list[str]) -> bytes:
    params = [("Action", "DescribeTags"), ("Version", "2016-11-15")]
    params.append(("Filter.1.Name", "resource-id"))
    params.extend((f"Filter.1.Value.{n}", value) for n, value in enumerate(ids, 1))
    return urlencode(params).encode()


def tags_by_resource(xml: bytes) -> dict[str, dict[str, str]]:
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return {}
    out: dict[str, dict[str, str]] = {}
    for item in root.iter():
        if not item.tag.endswith("item"):
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in item}
        if "resourceId" in fields and "key" in fields:
            out.setdefault(fields["resourceId"], {})[fields["key"]] = fields.get("value", "")
    return out


def context_of(tags: dict[str, str]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    for key, value in tags.items():
        context[f"ec2:ResourceTag/{key}"] = value
        context[f"aws:ResourceTag/{key}"] = value
    return context
