import { create } from "@bufbuild/protobuf";
import { CertificateValidationContextSchema, TlsCertificateSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { SecretSchema, type Secret } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { inline } from "./tls-transport-sockets.js";
import { checkName, checkPem, subject } from "./validate.js";

/** Options of {@link tlsCertificateSecret}. */
export interface TlsCertificateSecretOptions {
  /** The SDS resource name. */
  readonly name: string;
  /** PEM certificate chain, inline. */
  readonly certificateChain: string;
  /** PEM private key, inline. */
  readonly privateKey: string;
}

/** Options of {@link validationContextSecret}. */
export interface ValidationContextSecretOptions {
  /** The SDS resource name. */
  readonly name: string;
  /** PEM CA bundle, inline. */
  readonly trustedCa: string;
}

/** An SDS secret holding a certificate chain and its private key. */
export function tlsCertificateSecret(opts: TlsCertificateSecretOptions): Secret {
  const s = subject("Secret", opts.name);
  const name = checkName(s, "name", opts.name);
  const certificateChain = checkPem(s, "certificateChain", opts.certificateChain, /CERTIFICATE/);
  const privateKey = checkPem(s, "privateKey", opts.privateKey, /PRIVATE KEY/);
  return create(SecretSchema, {
    name,
    type: { case: "tlsCertificate", value: create(TlsCertificateSchema, { certificateChain: inline(certificateChain), privateKey: inline(privateKey) }) },
  });
}

/** An SDS secret holding the CA bundle that peers' certificates are verified against. */
export function validationContextSecret(opts: ValidationContextSecretOptions): Secret {
  const s = subject("Secret", opts.name);
  const name = checkName(s, "name", opts.name);
  const trustedCa = checkPem(s, "trustedCa", opts.trustedCa, /CERTIFICATE/);
  return create(SecretSchema, {
    name,
    type: { case: "validationContext", value: create(CertificateValidationContextSchema, { trustedCa: inline(trustedCa) }) },
  });
}
