"""Service handlers: IAM, STS, and later Access Analyzer and CloudTrail."""
