"""The IAM API.  Importing this package registers every implemented operation."""

from iamd.services.iam import access_keys as access_keys
from iamd.services.iam import groups as groups
from iamd.services.iam import policies as policies
from iamd.services.iam import roles as roles
from iamd.services.iam import users as users
from iamd.services.iam.common import REGISTRY

__all__ = ["REGISTRY"]
