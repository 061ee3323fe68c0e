import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { checkHttpUrl, type HttpUrlRule } from '../../src/options/checkHttpUrl.js';

const origin: HttpUrlRule = { allowed: 'an http: or https: origin', credentialsGoTo: 'pass them as auth', originOnly: true };
const anyPath: HttpUrlRule = { allowed: 'an http: or https: URL', credentialsGoTo: 'pass a key as accessKey' };
const refusal = (value: unknown, rule = origin): string => {
  try {
    checkHttpUrl('someDestination', 'endpoint', value, rule);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${String(value)}`);
};

describe('checkHttpUrl', () => {
  it('should accept an http: or https: URL (string or URL), with a path only when the rule allows it', () => {
    expect(checkHttpUrl('d', 'endpoint', 'https://host:8088', origin).href).toBe('https://host:8088/');
    expect(checkHttpUrl('d', 'endpoint', new URL('http://127.0.0.1:9200/'), origin).port).toBe('9200');
    expect(checkHttpUrl('d', 'url', 'https://host/ingest?x=1', anyPath).pathname).toBe('/ingest');
  });

  it('should refuse what is not an http(s) URL, naming the component, the option and the rule', () => {
    expect(refusal(42)).toBe('someDestination: endpoint must be an http: or https: origin; got 42');
    expect(refusal('not a url')).toBe('someDestination: endpoint must be an http: or https: origin; got "not a url"');
    expect(refusal('ftp://host')).toMatch(/got "ftp:\/\/host"$/);
    expect(refusal('https://host/path')).toMatch(/got "https:\/\/host\/path"$/);
    expect(refusal('https://host/?q=1')).toMatch(/got "https:\/\/host\/\?q=1"$/);
    expect(refusal('https://host/#top')).toMatch(/got "https:\/\/host\/#top"$/);
  });

  it('should refuse a URL with credentials without showing them, whatever else is wrong with it', () => {
    const message = refusal('ftp://admin:s3cret@host/x', anyPath);
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('admin');
    expect(message).toBe(
      'someDestination: endpoint must be an http: or https: URL (pass a key as accessKey); got "ftp://(credentials not shown)@host/x"',
    );
  });
});
