import { Agent } from 'node:http';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** The checked `agent` and `ca` options of an HTTP-speaking destination. */
export interface AgentAndCa {
  readonly agent: Agent | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
}

/**
 * Checks the `agent` (an `http.Agent` or `https.Agent`) and `ca` (PEM certificates, only for an `https:`
 * URL) options of a destination that sends over HTTP; throws {@link InvalidOptionError} naming `component`
 * and the option (never showing certificates in the https rule's message).
 *
 * ## Example
 * ```ts
 * const { agent, ca } = checkAgentAndCa('httpEndpointDestination', options.agent, options.ca, new URL(options.url), 'url');
 * ```
 */
export function checkAgentAndCa(component: string, agent: unknown, ca: unknown, url: URL, urlOption: string): AgentAndCa {
  if (agent !== undefined && !(agent instanceof Agent))
    throw new InvalidOptionError(component, 'agent', agent, 'an http.Agent or https.Agent');
  if (ca !== undefined) {
    const items: unknown[] = Array.isArray(ca) ? ca : [ca];
    if (items.length === 0 || !items.every((c) => typeof c === 'string' || Buffer.isBuffer(c))) {
      throw new InvalidOptionError(component, 'ca', ca, 'PEM certificates: a string or Buffer, or an array of them');
    }
    if (url.protocol !== 'https:') throw new InvalidOptionError(component, 'ca', '(certificates)', `used only with an https: ${urlOption}`);
  }
  return {
    agent: agent as Agent | undefined,
    ca: ca === undefined ? undefined : Array.isArray(ca) ? [...(ca as Array<string | Buffer>)] : (ca as string | Buffer),
  };
}
