// The AWS SDK for JavaScript v3 against a live iamd: AssumeRole, then calls with the temporary
// credentials.  Driven by tests/e2e/test_sts_js_sdk.py, which passes the setup as one JSON
// argument and reads one JSON object of results from stdout.
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { IAMClient, ListUsersCommand, ListRolesCommand } from "@aws-sdk/client-iam";

const setup = JSON.parse(process.argv[2]);
const common = { endpoint: setup.endpoint, region: "us-east-1", maxAttempts: 1 };

async function outcome(promise) {
  try {
    return { ok: await promise };
  } catch (error) {
    return {
      error: {
        name: error.name,
        message: error.message,
        status: error.$metadata?.httpStatusCode,
      },
    };
  }
}

const userSts = new STSClient({ ...common, credentials: setup.user });
const assumed = await userSts.send(
  new AssumeRoleCommand({
    RoleArn: setup.roleArn,
    RoleSessionName: "js-sdk-session",
    DurationSeconds: 900,
    ExternalId: setup.externalId,
    Tags: [{ Key: "Project", Value: "apollo" }],
  }),
);
const credentials = {
  accessKeyId: assumed.Credentials.AccessKeyId,
  secretAccessKey: assumed.Credentials.SecretAccessKey,
  sessionToken: assumed.Credentials.SessionToken,
};
const sessionSts = new STSClient({ ...common, credentials });
const sessionIam = new IAMClient({ ...common, credentials });
const identity = await sessionSts.send(new GetCallerIdentityCommand({}));
const users = await outcome(sessionIam.send(new ListUsersCommand({})));
const roles = await outcome(sessionIam.send(new ListRolesCommand({})));
const refused = await outcome(
  userSts.send(
    new AssumeRoleCommand({
      RoleArn: setup.roleArn,
      RoleSessionName: "js-sdk-refused",
      ExternalId: "not-the-external-id",
    }),
  ),
);

console.log(
  JSON.stringify({
    assumedRoleUser: assumed.AssumedRoleUser,
    packedPolicySize: assumed.PackedPolicySize,
    expiration: assumed.Credentials.Expiration.toISOString(),
    accessKeyId: credentials.accessKeyId,
    identity: { Arn: identity.Arn, UserId: identity.UserId, Account: identity.Account },
    listUsers: users.ok ? { userNames: users.ok.Users.map((u) => u.UserName) } : users,
    listRoles: roles.ok ? { ok: true } : roles,
    refused: refused.ok ? { ok: true } : refused,
  }),
);
