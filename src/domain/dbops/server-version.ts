/**
 * PostgreSQL versions: which servers gateway-worker manages, and which a given pg_dump can back
 * up. Pure.
 */

/**
 * The oldest server supported: the gateway's own schema needs 13 (`gen_random_uuid()` without an
 * extension), and `REINDEX CONCURRENTLY`, used by maintenance, needs 12.
 */
export const MINIMUM_SERVER_VERSION_NUM = 130000;

/** `server_version_num` → major version: 150008 → 15; 90624 → 9.6. */
export function majorVersion(versionNum: number): number {
  return versionNum >= 100000
    ? Math.floor(versionNum / 10000)
    : Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}

/** `server_version_num` → "15.8", "9.6.24". */
export function versionText(versionNum: number): string {
  if (versionNum >= 100000) return `${Math.floor(versionNum / 10000)}.${versionNum % 10000}`;
  return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
}

/** Why this server cannot be managed, or undefined. */
export function serverVersionProblem(
  versionNum: number,
  minimum: number = MINIMUM_SERVER_VERSION_NUM,
): string | undefined {
  if (versionNum >= minimum) return undefined;
  return `the server runs PostgreSQL ${versionText(versionNum)}; gateway-worker manages PostgreSQL ${versionText(minimum).replace(/\.0$/, '')} or newer (the gateway's schema needs it): upgrade the server`;
}

/** "pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)" → { major: 15, text: "15.8" }. */
export function parseClientVersion(output: string): { major: number; text: string } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!match?.[1]) return undefined;
  const major = Number(match[1]);
  return { major, text: match[2] === undefined ? `${major}` : `${major}.${match[2]}` };
}

/**
 * pg_dump refuses servers of a newer major version than its own ("server version mismatch"),
 * so say it before running it, with what to do.
 */
export function dumpCompatibilityProblem(serverVersionNum: number, clientMajor: number): string | undefined {
  const serverMajor = majorVersion(serverVersionNum);
  if (serverMajor <= clientMajor) return undefined;
  return `the server runs PostgreSQL ${versionText(serverVersionNum)}, newer than this image's pg_dump ${clientMajor}: pg_dump cannot back up a newer server. Run a gateway-worker image with PostgreSQL ${serverMajor} client tools (see docs/database.md), or point PG_BIN at them`;
}
