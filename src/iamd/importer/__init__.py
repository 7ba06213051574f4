"""``iamd import``: load a real AWS account's IAM (``aws iam get-account-authorization-details``)
into a running iamd through its own IAM API.

:mod:`.source` reads the file and moves it to the target account; :mod:`.plan` compares it with
what the target already has and lists the IAM calls that close the gap; :mod:`.apply` makes
them.  Only :mod:`.apply` talks to the server (with any IAM client, boto3 in the command).
"""
