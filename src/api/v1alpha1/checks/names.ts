/**
 * Name and token grammars shared by the CRD's CEL rules and the offline validator. Each is a
 * pattern both RE2 (CEL's `matches`) and JavaScript read the same way: plain classes, no
 * look-around, no Unicode classes.
 */

/** An object name such as a Secret's: an RFC 1123 subdomain (at most 253 characters). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** A Service name or a route name: an RFC 1123 label (at most 63 characters). */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/**
 * A host name a certificate or a route serves: at least two lowercase labels of at most 63
 * characters, the last one starting with a letter (so an IP address is not a host name), and
 * optionally a leading `*.` wildcard label.
 */
export const HOSTNAME = '^(\\*\\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$';

/** An HTTP header name (an RFC 9110 token). */
export const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";

/** A WAF rule id: letters, digits, `_`, `-` and `.`, as in the gateway's rule file. */
export const RULE_ID = '^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$';

/** The request fields the gateway's WAF reads (its `gateway-waf` crate). */
export const WAF_FIELD =
  "^(uri|method|ip|user_agent|content_type|content_length|header\\.[A-Za-z0-9!#$%&'*+.^_`|~-]+|query\\.[^\\s&=#]+)$";

/** An HTTP method token in upper case. */
export const METHOD = '^[A-Z]+$';

const compiled = new Map<string, RegExp>();

/** JavaScript test of one of the patterns above, cached. */
export function matches(pattern: string, text: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    compiled.set(pattern, re);
  }
  return re.test(text);
}

/** A CEL string literal for a pattern: raw, so backslashes need no second escaping. */
export function celString(pattern: string): string {
  if (!pattern.includes("'")) return `r'${pattern}'`;
  if (!pattern.includes('"')) return `r"${pattern}"`;
  throw new Error(`pattern ${pattern} has both quote characters`);
}

/**
 * Where a JSON threat feed keeps its addresses: keys separated by dots, `[*]` for every item of
 * an array and `[N]` for one, optionally after `$`: `data[*].ipAddress`, `$[*].cidr`, `cidr`.
 */
export const JSON_PATH =
  '^\\$?(\\.?[A-Za-z_][A-Za-z0-9_-]*|\\[(\\*|[0-9]+)\\])(\\.[A-Za-z_][A-Za-z0-9_-]*|\\[(\\*|[0-9]+)\\])*$';
