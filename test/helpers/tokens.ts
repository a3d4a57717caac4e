import { execFileSync } from "node:child_process";

/**
 * moto signs Cognito tokens with a private key it ships (n, e, d only); with it a test can mint an
 * expired but well-signed token. Python's cryptography (moto's own dependency) recovers the primes.
 */
export function motoSigningKeyPem(): string {
  const script = [
    "import base64, gzip, json, os, moto.cognitoidp",
    "from cryptography.hazmat.primitives.asymmetric import rsa",
    "from cryptography.hazmat.primitives import serialization",
    "k = json.loads(gzip.open(os.path.dirname(moto.cognitoidp.__file__) + '/resources/jwks-private.json.gz').read())",
    "i = lambda s: int.from_bytes(base64.urlsafe_b64decode(s + '=' * (-len(s) % 4)), 'big')",
    "n, e, d = i(k['n']), i(k['e']), i(k['d'])",
    "p, q = rsa.rsa_recover_prime_factors(n, e, d)",
    "key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()",
    "print(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())",
  ].join("\n");
  return execFileSync("python3", ["-c", script]).toString();
}
