/**
 * waf-ip-lists.yaml is one file fed by two pushed types: the IP lists of the WAF rule sets
 * (`waf`) and the deny lists of threat feeds and decisions (`ip-deny`). The gateway reads one
 * `waf` section, so the agent writes one file, merged from both, atomically; each type replaces
 * only its own part. Each part is also kept on disk beside it (hidden state files written before
 * the merged file), so that after a restart an update of one type can be merged with the other's
 * last good part without waiting for it to be sent again.
 *
 *   waf-ip-lists.yaml             what the gateway reads: version (the WAF's), ip_deny_version,
 *                                 ip_whitelist (the WAF's), ip_blacklist (the WAF's, then ip-deny's)
 *   .waf-ip-lists.waf.json        the WAF part: {version, allow, deny}
 *   .waf-ip-lists.ip-deny.bin     the ip-deny part: its version and ranges (binary range lists)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { toCidrs } from '../domain/threats/cidrs.js';
import { EMPTY_RANGES, type RangeSet } from '../domain/threats/ip-ranges.js';
import { decodeRangeSet, encodeRangeSet } from '../domain/threats/range-codec.js';
import type { Logger } from '../runtime/logger.js';
import { writeFileAtomic } from './atomic-file.js';
import { WAF_IP_LISTS_FILE, renderIpListsYaml } from './waf-rules.js';

export const WAF_PART_FILE = '.waf-ip-lists.waf.json';
export const IP_DENY_PART_FILE = '.waf-ip-lists.ip-deny.bin';

interface WafPart {
  readonly version: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

interface IpDenyPart {
  readonly version: string;
  readonly ranges: RangeSet;
  /** Rendered once per ip-deny update, when first needed; a WAF update reuses it. */
  cidrs?: readonly string[];
}

const HEADER = '# Written by gateway-worker agent; replaced on the next update, do not edit.\n';

export class IpListsFile {
  private waf: WafPart | undefined;
  private ipDeny: IpDenyPart | undefined;
  /** The ip-deny version the merged file on disk was written with, as found at load. */
  private ipDenyOnDisk: string | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** The version of the ip-deny part the gateway reads now, or undefined when it has none. */
  async ipDenyVersion(): Promise<string | undefined> {
    await this.load();
    // The state file is written first: only a merged file written after it proves it in service.
    return this.ipDeny && this.ipDeny.version === this.ipDenyOnDisk ? this.ipDeny.version : undefined;
  }

  /** The ranges of the ip-deny part in service (empty before any), for `waf test` and tests. */
  async ipDenyRanges(): Promise<RangeSet> {
    await this.load();
    return this.ipDeny?.ranges ?? EMPTY_RANGES;
  }

  async writeWaf(version: string, allow: readonly string[], deny: readonly string[]): Promise<void> {
    await this.load();
    const part: WafPart = { version, allow: [...allow], deny: [...deny] };
    await writeFileAtomic(join(this.dir, WAF_PART_FILE), JSON.stringify(part), 0o644);
    this.waf = part;
    await this.writeMerged();
  }

  async writeIpDeny(version: string, ranges: RangeSet): Promise<void> {
    await this.load();
    const part: IpDenyPart = { version, ranges };
    await writeFileAtomic(join(this.dir, IP_DENY_PART_FILE), encodeIpDenyPart(version, ranges), 0o644);
    this.ipDeny = part;
    await this.writeMerged();
    this.ipDenyOnDisk = version;
  }

  /** The merged file, as the gateway will read it. */
  render(): string {
    const waf = this.waf ?? { version: '', allow: [], deny: [] };
    // Without deny lists from feeds the file is exactly what the WAF alone always wrote.
    if (!this.ipDeny) return renderIpListsYaml(waf.version, waf.allow, waf.deny);
    const listed = new Set(waf.deny);
    this.ipDeny.cidrs ??= toCidrs(this.ipDeny.ranges);
    const deny = [...waf.deny, ...this.ipDeny.cidrs.filter((cidr) => !listed.has(cidr))];
    // By hand: a million entries through a YAML library cost seconds; these strings need no escaping.
    const lines = [
      HEADER.trimEnd(),
      `version: ${JSON.stringify(waf.version)}`,
      `ip_deny_version: ${JSON.stringify(this.ipDeny.version)}`,
      list('ip_whitelist', waf.allow),
      list('ip_blacklist', deny),
    ];
    return `${lines.join('\n')}\n`;
  }

  private async writeMerged(): Promise<void> {
    await writeFileAtomic(join(this.dir, WAF_IP_LISTS_FILE), this.render(), 0o644);
  }

  private load(): Promise<void> {
    this.loading ??= this.read();
    return this.loading;
  }

  private async read(): Promise<void> {
    const merged = await readOptional(join(this.dir, WAF_IP_LISTS_FILE));
    let onDisk: {
      version?: unknown;
      ip_deny_version?: unknown;
      ip_whitelist?: unknown;
      ip_blacklist?: unknown;
    } = {};
    try {
      onDisk = (parse(merged?.toString('utf8') ?? '') as typeof onDisk | null) ?? {};
    } catch {
      this.logger.warn('waf-ip-lists.yaml is not YAML; it is replaced on the next update');
    }
    this.ipDenyOnDisk = typeof onDisk.ip_deny_version === 'string' ? onDisk.ip_deny_version : undefined;
    this.waf = await this.readWafPart(onDisk);
    const bytes = await readOptional(join(this.dir, IP_DENY_PART_FILE));
    if (bytes) {
      try {
        this.ipDeny = decodeIpDenyPart(bytes);
      } catch (error) {
        this.logger.warn('the saved ip-deny list is unreadable; waiting for the worker to send it again', {
          error: (error as Error).message,
        });
      }
    }
  }

  private async readWafPart(onDisk: {
    version?: unknown;
    ip_deny_version?: unknown;
    ip_whitelist?: unknown;
    ip_blacklist?: unknown;
  }): Promise<WafPart | undefined> {
    const saved = await readOptional(join(this.dir, WAF_PART_FILE));
    if (saved) {
      try {
        const part = JSON.parse(saved.toString('utf8')) as WafPart;
        if (typeof part.version === 'string' && Array.isArray(part.allow) && Array.isArray(part.deny))
          return part;
      } catch {
        // Fall through: read the merged file as an agent before ip-deny wrote it.
      }
    }
    // An agent from before ip-deny wrote the WAF's lists alone into the merged file.
    if (onDisk.ip_deny_version === undefined && typeof onDisk.version === 'string') {
      const strings = (value: unknown): string[] =>
        Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
      return {
        version: onDisk.version,
        allow: strings(onDisk.ip_whitelist),
        deny: strings(onDisk.ip_blacklist),
      };
    }
    return undefined;
  }
}

function list(key: string, items: readonly string[]): string {
  if (items.length === 0) return `${key}: []`;
  return `${key}:\n${items.map((item) => `  - ${JSON.stringify(item)}`).join('\n')}`;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** [version length u32][version][IPv4 list length u32][IPv4 list][IPv6 list] */
function encodeIpDenyPart(version: string, ranges: RangeSet): Buffer {
  const { v4, v6 } = encodeRangeSet(ranges);
  const name = Buffer.from(version, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(name.length);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(v4.byteLength);
  return Buffer.concat([head, name, length, v4, v6]);
}

function decodeIpDenyPart(bytes: Buffer): IpDenyPart {
  const nameLength = bytes.readUInt32BE(0);
  const version = bytes.subarray(4, 4 + nameLength).toString('utf8');
  const v4Length = bytes.readUInt32BE(4 + nameLength);
  const v4Start = 8 + nameLength;
  const ranges = decodeRangeSet(
    bytes.subarray(v4Start, v4Start + v4Length),
    bytes.subarray(v4Start + v4Length),
  );
  return { version, ranges };
}
