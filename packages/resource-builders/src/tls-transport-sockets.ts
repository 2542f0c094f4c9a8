import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { DataSourceSchema, TransportSocketSchema, type TransportSocket } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { CertificateValidationContextSchema, TlsCertificateSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { SdsSecretConfigSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import {
  CommonTlsContextSchema,
  DownstreamTlsContextSchema,
  UpstreamTlsContextSchema,
  type CommonTlsContext,
} from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { checkName, checkPem, fail, subject, type Subject } from "./validate.js";

/** What both sides of a TLS connection may configure. Certificates and CAs come inline (PEM) or from SDS secrets by name. */
export interface TlsCommonOptions {
  /** Name of a TLS certificate secret (see `tlsCertificateSecret`). Default: none. */
  readonly certificateSecret?: string | undefined;
  /** An inline certificate instead of a secret. Default: none. */
  readonly certificate?: { readonly certificateChain: string; readonly privateKey: string } | undefined;
  /** Name of a validation context secret (see `validationContextSecret`). Default: none. */
  readonly validationContextSecret?: string | undefined;
  /** Inline PEM CA bundle instead of a validation context secret. Default: none (peer not verified). */
  readonly trustedCa?: string | undefined;
  /**
   * Where the named secrets come from. Default: none, which makes Envoy look
   * them up among the bootstrap's static secrets; pass a ConfigSource to fetch
   * them over SDS.
   */
  readonly secretConfigSource?: ConfigSource | undefined;
  /** ALPN protocols to offer. Default: none. */
  readonly alpnProtocols?: readonly string[] | undefined;
}

/** Options of {@link upstreamTlsTransportSocket}. */
export interface UpstreamTlsOptions extends TlsCommonOptions {
  /** SNI to send. Default: none. */
  readonly sni?: string | undefined;
}

/** Options of {@link downstreamTlsTransportSocket}: a certificate is required. */
export interface DownstreamTlsOptions extends TlsCommonOptions {
  /** Require and verify a client certificate (needs a CA). Default: false. */
  readonly requireClientCertificate?: boolean | undefined;
}

const TLS_SOCKET = "envoy.transport_sockets.tls";

/** A `envoy.transport_sockets.tls` transport socket for a cluster (UpstreamTlsContext). */
export function upstreamTlsTransportSocket(opts: UpstreamTlsOptions = {}): TransportSocket {
  return upstreamTls(subject("UpstreamTlsContext", opts.sni), opts);
}

/** A `envoy.transport_sockets.tls` transport socket for a listener's filter chain (DownstreamTlsContext). */
export function downstreamTlsTransportSocket(opts: DownstreamTlsOptions): TransportSocket {
  return downstreamTls(subject("DownstreamTlsContext", opts.certificateSecret), opts);
}

// The builders below take the subject of the cluster or listener that embeds the socket, so errors name it.
export function upstreamTls(s: Subject, opts: UpstreamTlsOptions, field = "tls"): TransportSocket {
  const ctx = create(UpstreamTlsContextSchema, { commonTlsContext: commonTls(s, opts, field), sni: opts.sni ?? "" });
  return create(TransportSocketSchema, { name: TLS_SOCKET, configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, ctx) } });
}

export function downstreamTls(s: Subject, opts: DownstreamTlsOptions, field = "tls"): TransportSocket {
  if (opts.certificateSecret === undefined && opts.certificate === undefined) {
    fail(s, "missing-field", `${field}.certificateSecret`, "a listener's TLS needs a certificate (certificateSecret or certificate)");
  }
  const requireClient = opts.requireClientCertificate ?? false;
  if (requireClient && opts.validationContextSecret === undefined && opts.trustedCa === undefined) {
    fail(s, "missing-field", `${field}.trustedCa`, "requireClientCertificate needs a CA (trustedCa or validationContextSecret)");
  }
  const ctx = create(DownstreamTlsContextSchema, {
    commonTlsContext: commonTls(s, opts, field),
    ...(requireClient ? { requireClientCertificate: true } : {}),
  });
  return create(TransportSocketSchema, { name: TLS_SOCKET, configType: { case: "typedConfig", value: anyPack(DownstreamTlsContextSchema, ctx) } });
}

function commonTls(s: Subject, o: TlsCommonOptions, field: string): CommonTlsContext {
  const sds = (name: string) =>
    create(SdsSecretConfigSchema, { name, ...(o.secretConfigSource === undefined ? {} : { sdsConfig: o.secretConfigSource }) });
  if (o.certificateSecret !== undefined && o.certificate !== undefined) {
    fail(s, "conflicting-fields", `${field}.certificate`, "give either certificateSecret or an inline certificate, not both");
  }
  if (o.validationContextSecret !== undefined && o.trustedCa !== undefined) {
    fail(s, "conflicting-fields", `${field}.trustedCa`, "give either validationContextSecret or an inline trustedCa, not both");
  }
  const ctx = create(CommonTlsContextSchema, { alpnProtocols: [...(o.alpnProtocols ?? [])] });
  if (o.certificateSecret !== undefined) {
    ctx.tlsCertificateSdsSecretConfigs = [sds(checkName(s, `${field}.certificateSecret`, o.certificateSecret))];
  } else if (o.certificate !== undefined) {
    ctx.tlsCertificates = [
      create(TlsCertificateSchema, {
        certificateChain: inline(checkPem(s, `${field}.certificate.certificateChain`, o.certificate.certificateChain, /CERTIFICATE/)),
        privateKey: inline(checkPem(s, `${field}.certificate.privateKey`, o.certificate.privateKey, /PRIVATE KEY/)),
      }),
    ];
  }
  if (o.validationContextSecret !== undefined) {
    ctx.validationContextType = {
      case: "validationContextSdsSecretConfig",
      value: sds(checkName(s, `${field}.validationContextSecret`, o.validationContextSecret)),
    };
  } else if (o.trustedCa !== undefined) {
    ctx.validationContextType = {
      case: "validationContext",
      value: create(CertificateValidationContextSchema, { trustedCa: inline(checkPem(s, `${field}.trustedCa`, o.trustedCa, /CERTIFICATE/)) }),
    };
  }
  return ctx;
}

export function inline(text: string) {
  return create(DataSourceSchema, { specifier: { case: "inlineString", value: text } });
}
