"""The privilege-escalation methods the search knows, as data.

Three families (shared/reference/AWS-FORMATS.md, "Known privilege-escalation methods"):

- taking over another principal's credentials or session: ``iam:CreateAccessKey``,
  ``iam:CreateLoginProfile``, ``iam:UpdateLoginProfile`` on a user; ``sts:AssumeRole`` where the
  trust policy lets the caller in; ``iam:UpdateAssumeRolePolicy`` (rewrite the trust policy,
  then assume the role);
- granting oneself more: ``iam:Put*Policy``/``iam:Attach*Policy`` on oneself or one's group,
  ``iam:CreatePolicyVersion``/``iam:SetDefaultPolicyVersion`` on a policy that applies to
  oneself, ``iam:AddUserToGroup`` into a more powerful group;
- running code as a role: ``iam:PassRole`` to a compute service together with the calls that
  start the code (:data:`COMPUTE`), or changing code that already runs as a role.

Each compute method names the service principal the role must trust, and for each action a
*witness* resource: the ARN of a resource the attacker would create (they choose its name).
Where a method uses a resource that must already exist (a Lambda function, a dev endpoint, an
instance with a profile), ``existing`` says so and the path says what it assumes.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
"""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
"""Witness resources are placed in one region; only a Region condition could tell."""


@dataclass(frozen=True, slots=True)
class ComputeMethod:
    name: str
    """How a path step names it, e.g. ``iam:PassRole+ec2:RunInstances``."""
    service: str
    """The service principal that must be trusted by the role."""
    actions: tuple[tuple[str, str], ...]
    """Each action with its witness resource (``{p}`` partition, ``{r}`` region, ``{a}``
    account)."""
    passes_role: bool = True
    instance_profile: bool = False
    """The role must be in an instance profile (EC2 runs as roles through profiles)."""
    existing: str | None = None
    """What must already exist for the method to work, in words."""


def _fn(name: str = "iamd-analysis") -> str:
    return "arn:{p}:lambda:{r}:{a}:function:" + name


_INSTANCE = "arn:{p}:ec2:{r}:{a}:instance/i-0123456789abcdef0"

COMPUTE: tuple[ComputeMethod, ...] = (
    ComputeMethod(
        "iam:PassRole+ec2:RunInstances",
        "ec2.amazonaws.com",
        (("ec2:RunInstances", _INSTANCE),),
        instance_profile=True,
    ),
    ComputeMethod(
        "iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction",
        "lambda.amazonaws.com",
        (("lambda:CreateFunction", _fn()), ("lambda:InvokeFunction", _fn())),
    ),
    ComputeMethod(
        "iam:PassRole+lambda:CreateFunction+lambda:CreateEventSourceMapping",
        "lambda.amazonaws.com",
        (("lambda:CreateFunction", _fn()), ("lambda:CreateEventSourceMapping", "*")),
    ),
    ComputeMethod(
        "iam:PassRole+glue:CreateDevEndpoint",
        "glue.amazonaws.com",
        (("glue:CreateDevEndpoint", "*"),),
    ),
    ComputeMethod(
        "iam:PassRole+cloudformation:CreateStack",
        "cloudformation.amazonaws.com",
        (
            (
                "cloudformation:CreateStack",
                "arn:{p}:cloudformation:{r}:{a}:stack/iamd-analysis/"
                "00000000-0000-0000-0000-000000000000",
            ),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+datapipeline:CreatePipeline",
        "datapipeline.amazonaws.com",
        (
            ("datapipeline:CreatePipeline", "*"),
            ("datapipeline:PutPipelineDefinition", "arn:{p}:datapipeline:{r}:{a}:pipeline/df-0"),
            ("datapipeline:ActivatePipeline", "arn:{p}:datapipeline:{r}:{a}:pipeline/df-0"),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+codebuild:CreateProject+codebuild:StartBuild",
        "codebuild.amazonaws.com",
        (
            ("codebuild:CreateProject", "arn:{p}:codebuild:{r}:{a}:project/iamd-analysis"),
            ("codebuild:StartBuild", "arn:{p}:codebuild:{r}:{a}:project/iamd-analysis"),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+sagemaker:CreateNotebookInstance",
        "sagemaker.amazonaws.com",
        (
            (
                "sagemaker:CreateNotebookInstance",
                "arn:{p}:sagemaker:{r}:{a}:notebook-instance/iamd-analysis",
            ),
            (
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "arn:{p}:sagemaker:{r}:{a}:notebook-instance/iamd-analysis",
            ),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+sagemaker:CreateTrainingJob",
        "sagemaker.amazonaws.com",
        (("sagemaker:CreateTrainingJob", "arn:{p}:sagemaker:{r}:{a}:training-job/iamd-analysis"),),
    ),
    ComputeMethod(
        "iam:PassRole+sagemaker:CreateProcessingJob",
        "sagemaker.amazonaws.com",
        (
            (
                "sagemaker:CreateProcessingJob",
                "arn:{p}:sagemaker:{r}:{a}:processing-job/iamd-analysis",
            ),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+ecs:RegisterTaskDefinition+ecs:RunTask",
        "ecs-tasks.amazonaws.com",
        (
            ("ecs:RegisterTaskDefinition", "*"),
            ("ecs:RunTask", "arn:{p}:ecs:{r}:{a}:task-definition/iamd-analysis:1"),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+apprunner:CreateService",
        "tasks.apprunner.amazonaws.com",
        (
            (
                "apprunner:CreateService",
                "arn:{p}:apprunner:{r}:{a}:service/iamd-analysis/0123456789abcdef",
            ),
        ),
    ),
    ComputeMethod(
        "iam:PassRole+bedrock-agentcore:CreateCodeInterpreter",
        "bedrock-agentcore.amazonaws.com",
        (
            ("bedrock-agentcore:CreateCodeInterpreter", "*"),
            (
                "bedrock-agentcore:StartCodeInterpreterSession",
                "arn:{p}:bedrock-agentcore:{r}:{a}:code-interpreter-custom/iamd-analysis",
            ),
            (
                "bedrock-agentcore:InvokeCodeInterpreter",
                "arn:{p}:bedrock-agentcore:{r}:{a}:code-interpreter-custom/iamd-analysis",
            ),
        ),
    ),
    ComputeMethod(
        "lambda:UpdateFunctionCode",
        "lambda.amazonaws.com",
        (("lambda:UpdateFunctionCode", _fn()), ("lambda:InvokeFunction", _fn())),
        passes_role=False,
        existing="a Lambda function that runs as the role",
    ),
    ComputeMethod(
        "glue:UpdateDevEndpoint",
        "glue.amazonaws.com",
        (("glue:UpdateDevEndpoint", "arn:{p}:glue:{r}:{a}:devEndpoint/iamd-analysis"),),
        passes_role=False,
        existing="a Glue dev endpoint that runs as the role",
    ),
    ComputeMethod(
        "ssm:SendCommand",
        "ec2.amazonaws.com",
        (
            ("ssm:SendCommand", _INSTANCE),
            ("ssm:SendCommand", "arn:{p}:ssm:{r}::document/AWS-RunShellScript"),
        ),
        passes_role=False,
        instance_profile=True,
        existing="a running EC2 instance with the role's instance profile",
    ),
    ComputeMethod(
        "ssm:StartSession",
        "ec2.amazonaws.com",
        (("ssm:StartSession", _INSTANCE),),
        passes_role=False,
        instance_profile=True,
        existing="a running EC2 instance with the role's instance profile",
    ),
)

USER_TAKEOVER = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
ROLE_TAKEOVER = ("sts:AssumeRole", "iam:UpdateAssumeRolePolicy")
SELF_GRANT_USER = ("iam:PutUserPolicy", "iam:AttachUserPolicy")
SELF_GRANT_ROLE = ("iam:PutRolePolicy", "iam:AttachRolePolicy")
SELF_GRANT_GROUP = ("iam:PutGroupPolicy", "iam:AttachGroupPolicy")
POLICY_VERSION = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
GROUP_JOIN = ("iam:AddUserToGroup",)


def compute_actions() -> set[str]:
    return {action for method in COMPUTE for action, _ in method.actions}


CORE_ACTIONS: frozenset[str] = frozenset(
    {
        *USER_TAKEOVER,
        *ROLE_TAKEOVER,
        *SELF_GRANT_USER,
        *SELF_GRANT_ROLE,
        *SELF_GRANT_GROUP,
        *POLICY_VERSION,
        *GROUP_JOIN,
        "iam:PassRole",
        *(m.actions[0][0] for m in COMPUTE if not m.passes_role),
    }
)
"""What the search asks about every principal.  The other calls of the compute methods
(``lambda:InvokeFunction``, ``ec2:RunInstances`` ...) are asked only of principals that can
pass a role or already hold a key action, with their policies read again for them."""

ACTIONS: frozenset[str] = frozenset(
    {
        *USER_TAKEOVER,
        *ROLE_TAKEOVER,
        *SELF_GRANT_USER,
        *SELF_GRANT_ROLE,
        *SELF_GRANT_GROUP,
        *POLICY_VERSION,
        *GROUP_JOIN,
        "iam:PassRole",
        "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        *compute_actions(),
    }
)
"""Every action the search asks the engine about."""
