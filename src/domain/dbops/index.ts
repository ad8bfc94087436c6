/**
 * Database operations, the pure part: migration files (parsing, checksums, statements, the plan
 * and its drift), server versions, retention (cutoffs, partitions, archive names and rows),
 * backups (names, manifests, what retention removes, row-count comparison), maintenance findings
 * and windows. No I/O: src/dbops/ does the talking to PostgreSQL and the object store.
 */
export * from './backups.js';
export * from './maintenance.js';
export * from './migration-files.js';
export * from './migration-plan.js';
export * from './retention.js';
export * from './server-version.js';
export * from './sql-split.js';
export * from './text.js';
export * from './window.js';
