#!/usr/bin/env node
// Runs the compiled CLI when dist/ exists (images, npm installs) and the TypeScript sources
// through tsx otherwise (a fresh checkout), so both work without a build step in between.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let cli;
if (existsSync(compiled)) {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2), process.env);
