"""Credentials for workloads: an EC2 instance metadata service and an ECS container credentials
endpoint that hand role credentials from iamd's STS to unmodified AWS SDKs, and the iamd-side
rule by which such endpoints assume roles as the AWS service they stand in for."""
