import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { DataSourceSchema, TransportSocketSchema, type DataSource, type TransportSocket } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import {
  CertificateValidationContextSchema,
  SubjectAltNameMatcher_SanType,
  SubjectAltNameMatcherSchema,
  TlsCertificateSchema,
} from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { CommonTlsContextSchema, UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { checkName, checkPem, fail, type Subject } from "./validate.js";

/** PEM text given inline, or `{ file }`: a path Envoy reads at start (a mounted secret, say). */
export type PemSource = string | { readonly file: string };

/** TLS from Envoy to the control plane. */
export interface XdsTlsOptions {
  /** The CA bundle that verifies the control plane's certificate. Required: a control plane Envoy does not verify could hand it any configuration. */
  readonly trustedCa: PemSource;
  /** Envoy's own certificate and key, for mutual TLS. Default: none. */
  readonly certificate?: { readonly certificateChain: PemSource; readonly privateKey: PemSource } | undefined;
  /** SNI to send. Default: the host when it is a DNS name; none for an IP address. */
  readonly sni?: string | undefined;
  /**
   * DNS names the control plane's certificate must carry (subject alternative
   * names; any one matches). Default: the SNI when one is sent, as any TLS
   * client checks the name it connects to; otherwise none, and the CA alone
   * decides. `[]` turns the check off.
   */
  readonly serverNames?: readonly string[] | undefined;
}

const TLS_SOCKET = "envoy.transport_sockets.tls";

/** The transport socket of the control-plane cluster; `host` gives the SNI default, `grpc` the ALPN (`h2`). */
export function xdsTlsTransportSocket(s: Subject, tls: XdsTlsOptions, host: string, hostIsIp: boolean, grpc: boolean): TransportSocket {
  if (tls.trustedCa === undefined) {
    fail(s, "missing-field", "xds.tls.trustedCa", "TLS to the control plane needs the CA that verifies its certificate");
  }
  const sni = tls.sni === undefined ? (hostIsIp ? "" : host) : checkName(s, "xds.tls.sni", tls.sni);
  const serverNames = tls.serverNames ?? (sni === "" ? [] : [sni]);
  const validation = create(CertificateValidationContextSchema, {
    trustedCa: pemSource(s, "xds.tls.trustedCa", tls.trustedCa, /CERTIFICATE/),
    matchTypedSubjectAltNames: serverNames.map((name, i) =>
      create(SubjectAltNameMatcherSchema, {
        sanType: SubjectAltNameMatcher_SanType.DNS,
        matcher: { matchPattern: { case: "exact", value: checkName(s, `xds.tls.serverNames[${i}]`, name) } },
      }),
    ),
  });
  const common = create(CommonTlsContextSchema, {
    alpnProtocols: grpc ? ["h2"] : [],
    validationContextType: { case: "validationContext", value: validation },
  });
  if (tls.certificate !== undefined) {
    common.tlsCertificates = [
      create(TlsCertificateSchema, {
        certificateChain: pemSource(s, "xds.tls.certificate.certificateChain", tls.certificate.certificateChain, /CERTIFICATE/),
        privateKey: pemSource(s, "xds.tls.certificate.privateKey", tls.certificate.privateKey, /PRIVATE KEY/),
      }),
    ];
  }
  const context = create(UpstreamTlsContextSchema, { commonTlsContext: common, sni });
  return create(TransportSocketSchema, { name: TLS_SOCKET, configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, context) } });
}

function pemSource(s: Subject, field: string, source: PemSource | undefined, label: RegExp): DataSource {
  if (typeof source === "object" && source !== null) {
    const file = checkName(s, `${field}.file`, source.file);
    return create(DataSourceSchema, { specifier: { case: "filename", value: file } });
  }
  if (source === undefined) fail(s, "missing-field", field, "is required");
  if (typeof source !== "string" || !source.includes("-----BEGIN ")) {
    fail(s, "invalid-value", field, 'must be inline PEM text (-----BEGIN …-----) or { file: "/path/to/file.pem" }');
  }
  return create(DataSourceSchema, { specifier: { case: "inlineString", value: checkPem(s, field, source, label) } });
}
