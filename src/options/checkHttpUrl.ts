import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** What {@link checkHttpUrl} accepts, and how it words a refusal. */
export interface HttpUrlRule {
  /** The allowed range in messages, e.g. `an http: or https: URL without credentials`. */
  readonly allowed: string;
  /** Where credentials go instead, appended to the message of a URL that carries some, e.g. `pass them as auth`. */
  readonly credentialsGoTo: string;
  /** Only an origin (scheme, host, port): no path but `/`, no query, no fragment. Default false. */
  readonly originOnly?: boolean | undefined;
}

/**
 * Checks an option that names an HTTP server (a string or a `URL`): it must parse, be `http:` or `https:`,
 * carry no credentials, and with `originOnly` be an origin. Throws {@link InvalidOptionError} naming
 * `component`, `option` and `rule.allowed`; a URL with credentials is shown without them.
 *
 * ## Example
 * ```ts
 * const endpoint = checkHttpUrl('splunkHecDestination', 'endpoint', options.endpoint, {
 *   allowed: 'an http: or https: URL of the collector (scheme, host, port), without credentials, query or path',
 *   credentialsGoTo: 'pass the token as token',
 *   originOnly: true,
 * });
 * ```
 */
export function checkHttpUrl(component: string, option: string, value: unknown, rule: HttpUrlRule): URL {
  const refuse = (shown: unknown, allowed = rule.allowed): InvalidOptionError => new InvalidOptionError(component, option, shown, allowed);
  if (typeof value !== 'string' && !(value instanceof URL)) throw refuse(value);
  let url: URL;
  try {
    url = new URL(typeof value === 'string' ? value : value.href);
  } catch {
    throw refuse(value);
  }
  // Do not repeat the credentials in the message.
  if (url.username !== '' || url.password !== '')
    throw refuse(`${url.protocol}//(credentials not shown)@${url.host}${url.pathname}`, `${rule.allowed} (${rule.credentialsGoTo})`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(value);
  if (rule.originOnly === true && ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== ''))
    throw refuse(value);
  return url;
}
