"""Which service's actions apply to each resource type Access Analyzer knows.

A bucket policy that allows ``sqs:*`` grants nothing on the bucket: only the actions of the
resource's own service reach it.  The analyses use this to expand ``NotAction`` into the
actions a finding lists, and to tell whether a statement can reach the resource at all.
Resource types are Access Analyzer's (botocore's ``accessanalyzer`` model: ``ResourceType``
and ``AccessCheckResourceType``).
"""

from __future__ import annotations

SERVICES: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("sts",),
    "AWS::IAM::AssumeRolePolicyDocument": ("sts",),
    "AWS::S3::Bucket": ("s3",),
    "AWS::S3::AccessPoint": ("s3",),
    "AWS::S3::Glacier": ("glacier",),
    "AWS::S3Express::DirectoryBucket": ("s3express",),
    "AWS::S3Express::AccessPoint": ("s3express",),
    "AWS::S3Outposts::Bucket": ("s3-outposts",),
    "AWS::S3Outposts::AccessPoint": ("s3-outposts",),
    "AWS::S3Tables::TableBucket": ("s3tables",),
    "AWS::S3Tables::Table": ("s3tables",),
    "AWS::SQS::Queue": ("sqs",),
    "AWS::SNS::Topic": ("sns",),
    "AWS::KMS::Key": ("kms",),
    "AWS::Lambda::Function": ("lambda",),
    "AWS::Lambda::LayerVersion": ("lambda",),
    "AWS::SecretsManager::Secret": ("secretsmanager",),
    "AWS::EFS::FileSystem": ("elasticfilesystem",),
    "AWS::EC2::Snapshot": ("ec2",),
    "AWS::ECR::Repository": ("ecr",),
    "AWS::RDS::DBSnapshot": ("rds",),
    "AWS::RDS::DBClusterSnapshot": ("rds",),
    "AWS::DynamoDB::Table": ("dynamodb",),
    "AWS::DynamoDB::Stream": ("dynamodb",),
    "AWS::OpenSearchService::Domain": ("es",),
    "AWS::Kinesis::Stream": ("kinesis",),
    "AWS::Kinesis::StreamConsumer": ("kinesis",),
    "AWS::ApiGateway::RestApi": ("execute-api",),
    "AWS::CodeArtifact::Domain": ("codeartifact",),
    "AWS::Backup::BackupVault": ("backup",),
    "AWS::CloudTrail::Dashboard": ("cloudtrail",),
    "AWS::CloudTrail::EventDataStore": ("cloudtrail",),
    "AWS::IAM::User": ("iam",),
}

ROLE_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::AssumeRolePolicyDocument"})
"""Resource types whose policy is a role's trust policy."""


def services_for(resource_type: str) -> tuple[str, ...] | None:
    """The service prefixes whose actions reach ``resource_type``; ``None`` if unknown."""
    return SERVICES.get(resource_type)


CHECKABLE = (
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::Stream",
    "AWS::EFS::FileSystem",
    "AWS::OpenSearchService::Domain",
    "AWS::Kinesis::Stream",
    "AWS::Kinesis::StreamConsumer",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3Express::DirectoryBucket",
    "AWS::S3::Glacier",
    "AWS::S3Outposts::Bucket",
    "AWS::S3Outposts::AccessPoint",
    "AWS::SecretsManager::Secret",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::S3Tables::TableBucket",
    "AWS::ApiGateway::RestApi",
    "AWS::CodeArtifact::Domain",
    "AWS::Backup::BackupVault",
    "AWS::CloudTrail::Dashboard",
    "AWS::CloudTrail::EventDataStore",
    "AWS::S3Tables::Table",
    "AWS::S3Express::AccessPoint",
)
"""CheckNoPublicAccess's ``resourceType`` values (botocore: ``AccessCheckResourceType``)."""
