import { expect } from "chai";
import { ACCOUNT, MOCK_REGION, programRun, runProgram, SHOP_CONFIG, type ProgramRun } from "../../helpers/pulumi-mocks";
import { PROJECT } from "../../../components/config";

const IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity";
const MAIL_FROM = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes";
const POOL = "aws:cognito/userPool:UserPool";
const key = (k: string) => `${PROJECT}:${k}`;
const addressArn = (address: string) => `arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/${address}`;
/** The shop's addresses the mocked runs stand in for the stack files' placeholders (refused by `pulumi up`). */
const SHOP_DOMAIN = "acme-shop.eu";
const prodRun = (config: Record<string, string>) => runProgram("prod", { ...SHOP_CONFIG.prod, ...config });

/**
 * Issue #19, point 1: Cognito checks its SES sender at CreateUserPool, so a pool may point only at
 * an identity that was verified before the `up` that creates or updates it; and an identity
 * verified by hand must not be created a second time (AlreadyExistsException).
 */
describe("the sender identity and Cognito's mail (issue 19, point 1)", function () {
  this.timeout(120000);
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await programRun("dev");
    prod = await programRun("prod");
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack} as shipped: no user pool points at an SES identity this same deployment creates (Cognito would refuse it unverified)`, () => {
      const run = stack === "dev" ? dev : prod;
      // An identity covers its own ARN, and every address of its domain.
      const created = run.ofType(IDENTITY).map((i) => i.inputs.emailIdentity as string);
      const covers = (identity: string, sourceArn: string) => {
        const address = sourceArn.split(":identity/")[1];
        return address === identity || address.endsWith(`@${identity}`);
      };
      const mail = run.one(POOL).inputs.emailConfiguration;
      const throughNewIdentity = mail?.emailSendingAccount === "DEVELOPER" && created.some((i) => covers(i, mail.sourceArn));
      expect(throughNewIdentity, JSON.stringify({ created, mail })).to.equal(false);
      expect(created).to.have.length(1);
    });
  }

  it("prod sends from its domain: Easy DKIM with 2048-bit keys and a custom MAIL FROM subdomain", () => {
    const domain = prod.one(IDENTITY).inputs;
    expect(domain.emailIdentity).to.equal(SHOP_DOMAIN);
    expect(domain.dkimSigningAttributes).to.deep.equal({ nextSigningKeyLength: "RSA_2048_BIT" });
    expect(prod.one(MAIL_FROM).inputs).to.deep.equal({
      emailIdentity: SHOP_DOMAIN,
      mailFromDomain: `mail.${SHOP_DOMAIN}`,
      behaviorOnMxFailure: "USE_DEFAULT_VALUE",
    });
  });

  it("prod outputs the DNS records to publish: three DKIM CNAMEs, the MAIL FROM MX and its SPF TXT", () => {
    const tokens: string[] = prod.one(IDENTITY).state.dkimSigningAttributes.tokens;
    expect(tokens).to.have.length(3);
    expect(prod.outputs.emailDnsRecords).to.deep.equal([
      ...tokens.map((t) => ({ type: "CNAME", name: `${t}._domainkey.${SHOP_DOMAIN}`, value: `${t}.dkim.amazonses.com` })),
      { type: "MX", name: `mail.${SHOP_DOMAIN}`, value: `10 feedback-smtp.${MOCK_REGION}.amazonses.com` },
      { type: "TXT", name: `mail.${SHOP_DOMAIN}`, value: '"v=spf1 include:amazonses.com ~all"' },
    ]);
  });

  it("dev creates the sender's address identity (SES mails it a link), no MAIL FROM, no DNS records", () => {
    expect(dev.ofType(IDENTITY).map((i) => i.inputs)).to.deep.equal([{ emailIdentity: "invoices-dev@acme-shop.eu" }]);
    expect(dev.ofType(MAIL_FROM)).to.deep.equal([]);
    expect(dev.outputs.emailDnsRecords).to.deep.equal([]);
    expect(dev.one(POOL).inputs.emailConfiguration).to.equal(undefined);
  });

  it("step two, once SES shows the stack's identity verified: Cognito sends through SES as the sender", async () => {
    const run = await prodRun({ [key("emailIdentityVerified")]: "true", [key("cognitoEmailViaSes")]: "true" });
    expect(run.ofType(IDENTITY).map((i) => i.inputs.emailIdentity)).to.deep.equal([SHOP_DOMAIN]);
    expect(run.one(POOL).inputs.emailConfiguration).to.deep.equal({
      emailSendingAccount: "DEVELOPER",
      // An address of a verified domain: Cognito accepts it as SourceArn.
      sourceArn: addressArn(`invoices@${SHOP_DOMAIN}`),
      fromEmailAddress: `invoices@${SHOP_DOMAIN}`,
    });
  });

  it("an identity verified by hand (external): the stack creates none, and Cognito and the notifier send as it", async () => {
    const run = await prodRun({
      [key("emailIdentity")]: "external",
      [key("emailIdentityVerified")]: "true",
      [key("cognitoEmailViaSes")]: "true",
    });
    expect(run.ofType(IDENTITY)).to.deep.equal([]);
    expect(run.ofType(MAIL_FROM)).to.deep.equal([]);
    expect(run.outputs.emailDnsRecords).to.deep.equal([]);
    expect(run.outputs.senderIdentity).to.equal(`invoices@${SHOP_DOMAIN}`);
    expect(run.one(POOL).inputs.emailConfiguration.sourceArn).to.equal(addressArn(`invoices@${SHOP_DOMAIN}`));
    const send = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "-notify-handler-policy").inputs.policy).Statement.find(
      (s: { Sid: string }) => s.Sid === "SendAsSenderOnly",
    );
    expect(send.Condition).to.deep.equal({ StringEquals: { "ses:FromAddress": `invoices@${SHOP_DOMAIN}` } });
  });

  it("refuses Cognito mail through an identity not declared verified, before creating anything", async () => {
    let error: unknown;
    await prodRun({ [key("cognitoEmailViaSes")]: "true" }).catch((e) => (error = e));
    expect(String(error)).to.match(/cognitoEmailViaSes is true but shop-backend:emailIdentityVerified is false/);
  });
});
