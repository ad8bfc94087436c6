/**
 * Country and ASN of client addresses from MaxMind-format databases (GeoLite2/GeoIP2 Country or
 * City, and ASN; or any MMDB with the same fields), read with the `maxmind` reader. None is
 * shipped: GEOIP_COUNTRY_DATABASE and GEOIP_ASN_DATABASE name files you provide. Lookups are
 * cached (bounded) by the reader.
 */
import { isIP } from 'node:net';
import type { AsnResponse, CountryResponse, Reader, Response } from 'maxmind';
import type { GeoLookup } from './enrichment.js';

export interface GeoIpFiles {
  readonly country?: string | undefined;
  readonly asn?: string | undefined;
}

const CACHE_ENTRIES = 50_000;

export class GeoIp implements GeoLookup {
  private constructor(
    private readonly country: Reader<CountryResponse> | undefined,
    private readonly asn: Reader<AsnResponse> | undefined,
  ) {}

  /** Opens the files given; throws an error naming the file when one cannot be read. */
  static async open(files: GeoIpFiles): Promise<GeoIp> {
    const open = async <T extends Response>(path: string | undefined, key: string) => {
      if (path === undefined) return undefined;
      try {
        // Loaded only when a database is configured: none is shipped.
        const { default: maxmind } = await import('maxmind');
        return await maxmind.open<T>(path, { cache: { max: CACHE_ENTRIES } });
      } catch (error) {
        throw new Error(
          `${key}=${path}: not a readable MaxMind database (${error instanceof Error ? error.message : String(error)})`,
          { cause: error },
        );
      }
    };
    return new GeoIp(
      await open<CountryResponse>(files.country, 'GEOIP_COUNTRY_DATABASE'),
      await open<AsnResponse>(files.asn, 'GEOIP_ASN_DATABASE'),
    );
  }

  lookup(ip: string): { country: string; asn: string } {
    if (isIP(ip) === 0) return { country: '', asn: '' };
    const place = this.country?.get(ip);
    const network = this.asn?.get(ip);
    // An MMDB may lack a field its kind usually has: read them as optional.
    const number = (network as Partial<AsnResponse> | null | undefined)?.autonomous_system_number;
    return {
      country: place?.country?.iso_code ?? place?.registered_country?.iso_code ?? '',
      asn: typeof number === 'number' ? `AS${number}` : '',
    };
  }
}

/**
 * Opens the GeoIP databases at start. A file that cannot be read is logged as an error and
 * records go without country and ASN (the gateway may have filled them), rather than stopping
 * certificates, routes and pushes over an optional enrichment.
 */
export class GeoIpComponent {
  readonly name = 'geoip';
  private reader: GeoIp | undefined;

  constructor(
    private readonly files: GeoIpFiles,
    private readonly logger: {
      info(message: string, meta?: object): void;
      error(message: string, meta?: object): void;
    },
  ) {}

  /** The lookup once opened; undefined before, or without files. */
  get lookup(): GeoLookup | undefined {
    return this.reader;
  }

  async start(): Promise<void> {
    if (this.files.country === undefined && this.files.asn === undefined) return;
    try {
      this.reader = await GeoIp.open(this.files);
      this.logger.info('GeoIP databases opened', { ...this.files });
    } catch (error) {
      this.logger.error(`GeoIP enrichment is off: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  stop(): Promise<void> {
    this.reader = undefined;
    return Promise.resolve();
  }
}
