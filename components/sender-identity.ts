import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { SENDER_IDENTITY_KINDS } from "./config";

/**
 * The SES identity the invoices are sent as, by the stack's `emailIdentity` setting:
 *   address   the stack creates the identity of the sender's address (SES mails it a link);
 *   domain    the stack creates the identity of the sender's domain with Easy DKIM and a custom
 *             MAIL FROM subdomain, and outputs the DNS records that verify it;
 *   external  the address or its domain was created and verified outside this stack, which
 *             creates no identity (creating it again fails with AlreadyExistsException).
 */
export type SenderIdentityKind = (typeof SENDER_IDENTITY_KINDS)[number];

/** The sender identity settings of a stack (components/config.ts). */
export interface SenderIdentityConfig {
  readonly kind: SenderIdentityKind;
  /** SES has verified the identity (declared by the operator; Cognito may only send through a verified one). */
  readonly verified: boolean;
  /** The label of the custom MAIL FROM domain under the sender's domain (kind "domain"). */
  readonly mailFromSubdomain: string;
}

/** One DNS record to publish at the domain's DNS provider. */
export interface DnsRecord {
  readonly type: "CNAME" | "MX" | "TXT";
  readonly name: string;
  readonly value: string;
}

/** The domain of an email address. */
export const senderDomain = (address: string): string => address.slice(address.lastIndexOf("@") + 1);

/** The custom MAIL FROM domain: bounces come back there, and SPF is checked against it (alignment for DMARC). */
export const mailFromDomain = (domain: string, subdomain: string): string => `${subdomain}.${domain}`;

/**
 * The records that verify a domain identity with Easy DKIM and a custom MAIL FROM: one CNAME per
 * DKIM token (SES signs with the key behind it), the MX that receives bounces at the MAIL FROM
 * domain, and its SPF record allowing SES to send for it.
 */
export function senderDnsRecords(domain: string, dkimTokens: readonly string[], mailFrom: string, region: string): DnsRecord[] {
  return [
    ...dkimTokens.map((t): DnsRecord => ({ type: "CNAME", name: `${t}._domainkey.${domain}`, value: `${t}.dkim.amazonses.com` })),
    { type: "MX", name: mailFrom, value: `10 feedback-smtp.${region}.amazonses.com` },
    { type: "TXT", name: mailFrom, value: '"v=spf1 include:amazonses.com ~all"' },
  ];
}

/** What the stack made for the sender. */
export interface SenderIdentity {
  /** The identity resource; undefined for an external one. */
  readonly resource?: aws.sesv2.EmailIdentity;
  /** The identity's name: the address, or the domain. */
  readonly name: string;
  /** The DNS records to publish (domain identities only). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
}

/** Creates the sender's SES identity as configured (see SenderIdentityKind), under `parent`. */
export function createSenderIdentity(
  name: string,
  sender: string,
  config: SenderIdentityConfig,
  region: string,
  parent: pulumi.Resource,
): SenderIdentity {
  if (config.kind === "external") return { name: sender, dnsRecords: pulumi.output([]) };
  if (config.kind === "address") {
    const resource = new aws.sesv2.EmailIdentity(`${name}-sender`, { emailIdentity: sender }, { parent });
    return { resource, name: sender, dnsRecords: pulumi.output([]) };
  }
  const domain = senderDomain(sender);
  const mailFrom = mailFromDomain(domain, config.mailFromSubdomain);
  const resource = new aws.sesv2.EmailIdentity(
    `${name}-sender`,
    { emailIdentity: domain, dkimSigningAttributes: { nextSigningKeyLength: "RSA_2048_BIT" } },
    { parent },
  );
  new aws.sesv2.EmailIdentityMailFromAttributes(
    `${name}-mail-from`,
    // Until its MX is published, SES falls back to its own MAIL FROM rather than refusing to send.
    { emailIdentity: resource.emailIdentity, mailFromDomain: mailFrom, behaviorOnMxFailure: "USE_DEFAULT_VALUE" },
    { parent },
  );
  const dnsRecords = resource.dkimSigningAttributes.apply((dkim) => senderDnsRecords(domain, dkim?.tokens ?? [], mailFrom, region));
  return { resource, name: domain, dnsRecords };
}
