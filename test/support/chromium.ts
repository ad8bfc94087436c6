/**
 * The system Chromium for real-browser tests (Debian's package; CHROMIUM_PATH overrides). A
 * missing browser is a failure naming the install command, never a skipped test.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `Chromium is not installed at ${path}: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`,
    );
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}
