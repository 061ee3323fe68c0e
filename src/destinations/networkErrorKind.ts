/** Node's codes for a connection that could not be made (a host or port that does not answer). */
const CONNECT_FAILED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
/** Node's codes for a connection closed or reset by the other side. */
const CONNECTION_RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
/** OpenSSL's and Node's codes for a TLS handshake that failed (certificate, protocol). */
const TLS_FAILURE =
  /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|EPROTO$|HOSTNAME_MISMATCH$|ERR_OSSL_)/;

/** What went wrong with a request that got no HTTP answer, in Firehose's words. */
export type NetworkErrorKind =
  | 'ConnectionRefused'
  | 'ConnectionTimeout'
  | 'ConnectionFailed'
  | 'ConnectionReset'
  | 'SSLHandshakeFailure'
  | 'InvalidResponse';

/**
 * Classifies a Node network error by its `code`, in the vocabulary Firehose uses for every HTTP-based
 * destination (`<Destination>.ConnectionFailed`, `.ConnectionReset`, `.SSLHandshakeFailure`): TLS failures,
 * resets, responses that are not HTTP (`HPE_*`), a host that cannot be reached (`ConnectionRefused`), a
 * connection that timed out, and everything else as a failed connection. Destinations that have no word for
 * the last three call them all `ConnectionFailed` (see {@link isConnectionFailure}).
 */
export function networkErrorKind(code: string): NetworkErrorKind {
  if (TLS_FAILURE.test(code)) return 'SSLHandshakeFailure';
  if (CONNECTION_RESET.has(code)) return 'ConnectionReset';
  if (code.startsWith('HPE_')) return 'InvalidResponse';
  if (CONNECT_FAILED.has(code)) return 'ConnectionRefused';
  if (code === 'ETIMEDOUT') return 'ConnectionTimeout';
  return 'ConnectionFailed';
}

/** Whether a kind is one of the failures to connect at all (refused, timed out, or unknown). */
export function isConnectionFailure(kind: NetworkErrorKind): boolean {
  return kind === 'ConnectionRefused' || kind === 'ConnectionTimeout' || kind === 'ConnectionFailed';
}
