/** A problem with a command's arguments: one line on stderr and exit code 2. */
export class UsageError extends Error {}
