/** One thing wrong with one document, located the way the API server locates it. */
export interface Problem {
  /** 1-based index of the document in its file. */
  readonly doc: number;
  /** Field path as the API server prints it, e.g. spec.rules[3].conditions[0].value; '' for the document. */
  readonly path: string;
  readonly message: string;
}

/** The API server's path notation: `.name` for fields, `[i]` for list items, `[key]` for map entries. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

export function mapEntryPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** Turns a rule's fieldPath (".value", ".a.b") into a path below `base`. */
export function joinFieldPath(base: string, fieldPath: string | undefined): string {
  if (!fieldPath) return base;
  return fieldPath
    .split('.')
    .filter(Boolean)
    .reduce((path, key) => childPath(path, key), base);
}

/** True when `path` is `ancestor` or lies below it. */
export function isWithin(path: string, ancestor: string): boolean {
  if (ancestor === '') return true;
  if (!path.startsWith(ancestor)) return false;
  const next = path.charAt(ancestor.length);
  return next === '' || next === '.' || next === '[';
}

/** A value in an error message, the way Go's %v/%q print it in the API server's messages. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined ? 'null' : JSON.stringify(value);
}
