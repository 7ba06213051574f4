"""The audit trail: one CloudTrail-format event per AWS call, recorded off the request path."""
