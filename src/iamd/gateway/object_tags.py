"""``s3:ExistingObjectTag/<key>``: the tags the object already has, read from the backend.

Reading an object's tags costs a request to the backend, so the gateway reads them only for an
action that supports the key and only when a policy that applies (the caller's or the bucket's)
names it. https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html
"""

from __future__ import annotations

from functools import cache
from xml.etree import ElementTree

from iamd.authorize.context import ContextValue
from iamd.catalog.actions import lookup_action

PREFIXES = ("s3:existingobjecttag/",)


@cache
def supports(action: str) -> bool:
    info = lookup_action(action)
    return info is not None and info.supports_condition_key("s3:ExistingObjectTag/<key>")


def context_of(tagging_xml: bytes) -> dict[str, ContextValue]:
    """The condition keys of a GetObjectTagging answer."""
    try:
        root = ElementTree.fromstring(tagging_xml)
    except ElementTree.ParseError:
        return {}
    keys: dict[str, ContextValue] = {}
    for tag in root.iter():
        if not tag.tag.endswith("Tag"):
            continue
        key = value = None
        for child in tag:
            if child.tag.endswith("Key"):
                key = child.text or ""
            elif child.tag.endswith("Value"):
                value = child.text or ""
        if key is not None:
            keys[f"s3:ExistingObjectTag/{key}"] = value or ""
    return keys
