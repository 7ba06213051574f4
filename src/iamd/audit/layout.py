"""Where CloudTrail puts log files and digest files in its bucket, and how to read the names back.

An exported trail is a directory laid out as the bucket would be, so the object key of a file is
its path relative to that directory:

- log files: ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
  <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``
- digests: ``AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
  <account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHmmssZ>.json.gz``

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

TIME = "%Y-%m-%dT%H:%M:%SZ"
"""CloudTrail's time format in events and digests (UTC, whole seconds)."""
SIGNATURE_SUFFIX = ".metadata.json"
"""The file beside a digest holding what S3 keeps in the object's metadata (see digest.py)."""

_LOG = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_(?P<unique>[A-Za-z0-9]+)"
    r"\.json\.gz$"
)
_DIGEST = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P=account)_CloudTrail-Digest_(?P=region)_(?P<trail>[A-Za-z0-9._-]+)_(?P<home>[a-z0-9-]+)"
    r"_(?P<stamp>\d{8}T\d{6}Z)\.json\.gz$"
)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME).replace(tzinfo=UTC)


def log_file_key(account: str, region: str, slice_start: datetime, unique: str) -> str:
    day = slice_start.astimezone(UTC)
    return (
        f"AWSLogs/{account}/CloudTrail/{region}/{day:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{day:%Y%m%dT%H%MZ}_{unique}.json.gz"
    )


def digest_key(account: str, region: str, trail: str, home_region: str, end: datetime) -> str:
    day = end.astimezone(UTC)
    return (
        f"AWSLogs/{account}/CloudTrail-Digest/{region}/{day:%Y/%m/%d}/"
        f"{account}_CloudTrail-Digest_{region}_{trail}_{home_region}_{day:%Y%m%dT%H%M%SZ}.json.gz"
    )


@dataclass(frozen=True, slots=True)
class DigestName:
    """What a digest's object key says: its chain (account, region, trail, home) and end."""

    key: str
    account: str
    region: str
    trail: str
    home_region: str
    end: datetime

    @property
    def chain(self) -> tuple[str, str, str, str]:
        return (self.account, self.region, self.trail, self.home_region)


def parse_digest_key(key: str) -> DigestName | None:
    found = _DIGEST.match(key)
    if found is None:
        return None
    end = datetime.strptime(found["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return DigestName(key, found["account"], found["region"], found["trail"], found["home"], end)


def is_log_file_key(key: str) -> bool:
    return _LOG.match(key) is not None


TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")
"""CloudTrail's trail name rule (3-128 of letters, digits, period, underscore, dash), without
underscores so the trail can be read back from the digest's name."""


def valid_trail_name(name: str) -> bool:
    return TRAIL_NAME.match(name) is not None and "_" not in name
