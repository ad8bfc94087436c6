/**
 * A small writer of MaxMind DB files (format 2.0, IPv4 tree, 24-bit records), for tests of the
 * GeoIP enrichment with the real `maxmind` reader: no database is shipped, and none can be
 * downloaded here. Supports the value types GeoIP records use: maps, strings, unsigned integers.
 * https://maxmind.github.io/MaxMind-DB/
 */

type Value = string | number | boolean | { readonly [key: string]: Value };

export interface MmdbNetwork {
  /** IPv4 CIDR, such as 203.0.113.0/24. */
  readonly cidr: string;
  readonly data: { readonly [key: string]: Value };
}

interface TrieNode {
  children: [TrieNode | number | undefined, TrieNode | number | undefined];
}

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);

export function writeMmdb(databaseType: string, networks: readonly MmdbNetwork[]): Buffer {
  const data = new DataSection();
  const root: TrieNode = { children: [undefined, undefined] };
  for (const network of networks) {
    const [address = '', bits = '32'] = network.cidr.split('/');
    const prefix = Number(bits);
    const ip = address.split('.').reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
    const offset = data.add(network.data);
    let node = root;
    for (let i = 0; i < prefix; i++) {
      const bit = ((ip >>> (31 - i)) & 1) as 0 | 1;
      if (i === prefix - 1) {
        node.children[bit] = offset;
        break;
      }
      let next = node.children[bit];
      if (typeof next !== 'object') {
        next = { children: [undefined, undefined] };
        node.children[bit] = next;
      }
      node = next;
    }
  }
  // Number the nodes breadth first, then write each node's two 24-bit records.
  const nodes: TrieNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const child of nodes[i]?.children ?? []) if (typeof child === 'object') nodes.push(child);
  }
  const index = new Map(nodes.map((n, i) => [n, i]));
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const record =
        child === undefined
          ? nodeCount
          : typeof child === 'number'
            ? nodeCount + 16 + child
            : (index.get(child) ?? 0);
      tree.writeUIntBE(record, i * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: databaseType,
    languages: [] as unknown as Value,
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(Date.UTC(2026, 0, 1) / 1000),
    description: { en: 'gateway-worker test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), data.bytes(), METADATA_MARKER, metadata]);
}

class DataSection {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly known = new Map<string, number>();

  add(value: Value): number {
    const key = JSON.stringify(value);
    const found = this.known.get(key);
    if (found !== undefined) return found;
    const bytes = encode(value);
    const offset = this.size;
    this.chunks.push(bytes);
    this.size += bytes.length;
    this.known.set(key, offset);
    return offset;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = (extended ? 0 : type) << 5;
  let sizeBytes: Buffer;
  let sizeBits: number;
  if (size < 29) {
    sizeBits = size;
    sizeBytes = Buffer.alloc(0);
  } else if (size < 285) {
    sizeBits = 29;
    sizeBytes = Buffer.from([size - 29]);
  } else {
    sizeBits = 30;
    sizeBytes = Buffer.alloc(2);
    sizeBytes.writeUInt16BE(size - 285);
  }
  return Buffer.concat([
    Buffer.from([head | sizeBits]),
    extended ? Buffer.from([type - 7]) : Buffer.alloc(0),
    sizeBytes,
  ]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0);
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`only unsigned integers are written, got ${value}`);
    const bytes: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    // uint32 up to 2^32, uint64 beyond.
    return Buffer.concat([control(value < 2 ** 32 ? 6 : 9, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([control(11, value.length), ...(value as Value[]).map(encode)]);
  }
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}
