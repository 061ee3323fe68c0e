/** Node's codes for a connection closed or reset by the other side. */
const CONNECTION_RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
/** OpenSSL's and Node's codes for a TLS handshake that failed (certificate, protocol). */
const TLS_FAILURE =
  /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|EPROTO$|HOSTNAME_MISMATCH$|ERR_OSSL_)/;

/** What went wrong with a request that got no HTTP answer, in Firehose's words. */
export type NetworkErrorKind = 'ConnectionFailed' | 'ConnectionReset' | 'SSLHandshakeFailure' | 'InvalidResponse';

/**
 * Classifies a Node network error by its `code`, in the vocabulary Firehose uses for every HTTP-based
 * destination (`<Destination>.ConnectionFailed`, `.ConnectionReset`, `.SSLHandshakeFailure`): TLS failures,
 * resets, responses that are not HTTP (`HPE_*`), and everything else as a failed connection.
 */
export function networkErrorKind(code: string): NetworkErrorKind {
  if (TLS_FAILURE.test(code)) return 'SSLHandshakeFailure';
  if (CONNECTION_RESET.has(code)) return 'ConnectionReset';
  if (code.startsWith('HPE_')) return 'InvalidResponse';
  // ECONNREFUSED, ENOTFOUND, EHOSTUNREACH, ETIMEDOUT, … and anything unknown.
  return 'ConnectionFailed';
}
