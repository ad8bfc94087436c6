/**
 * What a migration run would do, decided on plain data: the parsed files and the history table's
 * rows. Drift (an applied file whose checksum changed), an out-of-order file, a file problem or a
 * missing undo file blocks the whole run — nothing is applied until it is resolved. Pure.
 */
import { compareVersions, type MigrationFile, type ParsedMigrations } from './migration-files.js';

/** One row of the history table, in installed order. */
export interface HistoryRow {
  readonly installedRank: number;
  readonly version: string;
  readonly description: string;
  /** SQL: the version was applied; UNDO: it was undone. The newest row of a version decides. */
  readonly type: 'SQL' | 'UNDO';
  readonly script: string;
  readonly checksum: string;
  readonly installedAt: Date;
}

export interface AppliedVersion {
  readonly version: string;
  readonly script: string;
  readonly checksum: string;
  readonly installedAt: Date;
}

export interface Drift {
  readonly version: string;
  readonly file: string;
  /** The checksum recorded when it was applied. */
  readonly applied: string;
  /** The file's checksum now. */
  readonly current: string;
}

export type BlockedReason = 'InvalidMigrations' | 'Drifted' | 'OutOfOrder' | 'UndoMissing' | 'TargetNotFound';

export interface MigrationPlan {
  /** The versions the history says are applied, in version order. */
  readonly applied: readonly AppliedVersion[];
  /** Highest applied version, or undefined for an empty history. */
  readonly currentVersion: string | undefined;
  /** Highest version among the files. */
  readonly latestVersion: string | undefined;
  /** Files to apply, in order (empty when blocked). */
  readonly apply: readonly MigrationFile[];
  /** Undo files to run, newest version first, to go back to the target (empty when blocked). */
  readonly undo: readonly MigrationFile[];
  readonly drift: readonly Drift[];
  /** Applied versions whose file is gone: reported, not blocking (squashed or archived files). */
  readonly missing: readonly string[];
  /** Pending files below the highest applied version. */
  readonly outOfOrder: readonly MigrationFile[];
  readonly blocked: { readonly reason: BlockedReason; readonly message: string } | undefined;
}

export interface PlanOptions {
  readonly allowOutOfOrder: boolean;
  /** Stop at this version; below the current one, undo down to it. */
  readonly targetVersion?: string;
}

/** The effective state: per version, its newest history row decides whether it is applied. */
export function appliedVersions(history: readonly HistoryRow[]): AppliedVersion[] {
  const newest = new Map<string, HistoryRow>();
  for (const row of [...history].sort((a, b) => a.installedRank - b.installedRank))
    newest.set(row.version, row);
  return [...newest.values()]
    .filter((row) => row.type === 'SQL')
    .map(({ version, script, checksum, installedAt }) => ({ version, script, checksum, installedAt }))
    .sort((a, b) => compareVersions(a.version, b.version));
}

const list = (items: readonly string[], max = 5): string =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

export function planMigrations(
  parsed: ParsedMigrations,
  history: readonly HistoryRow[],
  options: PlanOptions,
): MigrationPlan {
  const applied = appliedVersions(history);
  const appliedSet = new Map(applied.map((a) => [a.version, a]));
  const files = new Map(parsed.versioned.map((f) => [f.version, f]));
  const currentVersion = applied.at(-1)?.version;
  const latestVersion = parsed.versioned.at(-1)?.version;

  const drift: Drift[] = [];
  for (const a of applied) {
    const file = files.get(a.version);
    if (file && file.checksum !== a.checksum)
      drift.push({ version: a.version, file: file.name, applied: a.checksum, current: file.checksum });
  }
  const missing = applied.filter((a) => !files.has(a.version)).map((a) => a.version);
  const target = options.targetVersion;
  const wanted = parsed.versioned.filter(
    (f) => target === undefined || compareVersions(f.version, target) <= 0,
  );
  const pending = wanted.filter((f) => !appliedSet.has(f.version));
  const outOfOrder =
    currentVersion === undefined ? [] : pending.filter((f) => compareVersions(f.version, currentVersion) < 0);
  const toUndo =
    target === undefined ? [] : [...applied].reverse().filter((a) => compareVersions(a.version, target) > 0);

  const base = { applied, currentVersion, latestVersion, drift, missing, outOfOrder };
  const blocked = (reason: BlockedReason, message: string): MigrationPlan => ({
    ...base,
    apply: [],
    undo: [],
    blocked: { reason, message },
  });

  if (parsed.problems.length > 0) {
    const first = parsed.problems[0];
    const others = parsed.problems.length - 1;
    const more = others > 0 ? ` (and ${others} more problem${others === 1 ? '' : 's'})` : '';
    return blocked(
      'InvalidMigrations',
      `${first?.file ?? ''} (${first?.source ?? ''}) ${first?.message ?? ''}${more}; nothing is applied until the files are fixed`,
    );
  }
  if (drift.length > 0) {
    const which = drift.map(
      (d) => `${d.file} (applied ${d.applied.slice(0, 12)}, now ${d.current.slice(0, 12)})`,
    );
    return blocked(
      'Drifted',
      `applied migration files were changed since they ran: ${list(which)}. Nothing is applied until this is resolved: restore the files as they were applied, or record the new checksums with "gateway-worker db repair"`,
    );
  }
  if (target !== undefined && !files.has(target) && !appliedSet.has(target)) {
    return blocked(
      'TargetNotFound',
      `targetVersion ${target} is neither a migration file nor an applied version`,
    );
  }
  if (outOfOrder.length > 0 && !options.allowOutOfOrder) {
    return blocked(
      'OutOfOrder',
      `${list(outOfOrder.map((f) => f.name))} ${outOfOrder.length === 1 ? 'has a version' : 'have versions'} below the applied version ${currentVersion ?? ''}; set allowOutOfOrder: true to apply ${outOfOrder.length === 1 ? 'it' : 'them'} anyway`,
    );
  }
  const undo: MigrationFile[] = [];
  const noUndo: string[] = [];
  for (const a of toUndo) {
    const file = parsed.undo.get(a.version);
    if (file) undo.push(file);
    else noUndo.push(a.version);
  }
  if (noUndo.length > 0) {
    return blocked(
      'UndoMissing',
      `going back to version ${target ?? ''} needs an undo file for ${list(noUndo)}; add U<version>__<description>.sql (or <number>_<description>.down.sql) files, or raise targetVersion`,
    );
  }
  return { ...base, apply: pending, undo, blocked: undefined };
}
