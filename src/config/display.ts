const MAX_SHOWN = 80;

/** Shows a configuration value on one line, quoted only when plain text would be ambiguous. */
export function display(value: unknown): string {
  const text = typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
