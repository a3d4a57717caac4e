/** `npm run token`: prints a fresh ID token of the local demo user (for `Authorization: Bearer`). */
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { readSession } from "./session";
import { signIn } from "./auth";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const s = readSession();
  const cognito = new CognitoIdentityProviderClient({
    region: s.region,
    endpoint: s.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const token = await signIn(cognito, { poolId: s.poolId, clientId: s.clientId, issuer: "", jwksUrl: "" }, s.demoUser.email, s.demoUser.password);
  cognito.destroy();
  process.stdout.write(token + "\n");
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
