/**
 * IP addresses and CIDRs the way the API server's CEL `isIP()` / `isCIDR()` read them (Go's
 * netip): dotted quads without leading zeros, IPv6 without zones, and, like Kubernetes, no
 * IPv4-mapped IPv6 addresses (they would match IPv4 clients ambiguously).
 */
import { isIP as nodeIsIP } from 'node:net';

export function isIP(text: string): boolean {
  if (text.includes('%')) return false;
  const family = nodeIsIP(text);
  if (family === 4) return true;
  return family === 6 && !/^::ffff:[0-9.]+$/i.test(text) && !/^::ffff:0*:/i.test(text);
}

export function isCIDR(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!isIP(address) || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return false;
  return Number(bits) <= (nodeIsIP(address) === 4 ? 32 : 128);
}

export const IP_OR_CIDR_HINT = 'must be an IP address or a CIDR such as 10.0.0.0/8 or 2001:db8::/32';
