// The AWS SDK for JavaScript v3 through iamd's gateway: AssumeRole, then S3 with the temporary
// credentials.  Driven by tests/e2e/test_gateway_js_sdk.py, which passes the setup as one JSON
// argument and reads one JSON object of results from stdout.
import { STSClient, AssumeRoleCommand } from "@aws-sdk/client-sts";
import {
  S3Client,
  ListBucketsCommand,
  PutObjectCommand,
  GetObjectCommand,
} from "@aws-sdk/client-s3";

const setup = JSON.parse(process.argv[2]);
const common = { endpoint: setup.endpoint, region: "us-east-1", maxAttempts: 1 };

async function outcome(promise) {
  try {
    return { ok: await promise };
  } catch (error) {
    return {
      error: { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode },
    };
  }
}

const sts = new STSClient({ ...common, credentials: setup.user });
const assumed = await sts.send(
  new AssumeRoleCommand({ RoleArn: setup.roleArn, RoleSessionName: "js-gateway" }),
);
const s3 = new S3Client({
  ...common,
  forcePathStyle: true,
  credentials: {
    accessKeyId: assumed.Credentials.AccessKeyId,
    secretAccessKey: assumed.Credentials.SecretAccessKey,
    sessionToken: assumed.Credentials.SessionToken,
  },
});
const buckets = await s3.send(new ListBucketsCommand({}));
const put = await outcome(
  s3.send(new PutObjectCommand({ Bucket: setup.bucket, Key: "js/hello.txt", Body: "hello from js" })),
);
const got = await outcome(s3.send(new GetObjectCommand({ Bucket: setup.bucket, Key: "js/hello.txt" })));
const refused = await outcome(
  s3.send(new PutObjectCommand({ Bucket: setup.bucket, Key: "elsewhere.txt", Body: "no" })),
);
console.log(
  JSON.stringify({
    bucketNames: buckets.Buckets.map((b) => b.Name),
    put: put.ok ? { ok: true } : put,
    body: got.ok ? await got.ok.Body.transformToString() : got,
    refused: refused.ok ? { ok: true } : refused,
  }),
);
