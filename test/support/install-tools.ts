/**
 * The real helm and kubectl binaries, pointed at a test cluster: helm with its cache, config and
 * data folders in a temp folder, kubectl with its discovery cache there too, so tests never read
 * or write the user's own state. Results carry the exit code instead of throwing, so a test can
 * assert on failures as easily as on successes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findAsset } from '../../src/envtest/assets.js';
import type { KubeObject } from '../../src/runtime/kube/resource.js';
import { helmEnv } from '../../scripts/render-manifests.js';

export { CHART_DIR, INSTALL_MANIFEST } from '../../scripts/render-manifests.js';

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `binary` with `args`, feeding `input` on stdin; resolves whatever the exit code. */
export function runTool(
  binary: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: options.env ?? process.env, stdio: 'pipe' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end(options.input ?? '');
  });
}

/** The result's stdout, or an error that shows the command and what it printed. */
export function succeeded(result: ToolResult, what: string): string {
  if (result.code === 0) return result.stdout;
  throw new Error(`${what} exited ${String(result.code)}:\n${result.stderr}${result.stdout}`);
}

/** Every non-empty document of a multi-document YAML stream. */
export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null && typeof obj === 'object');
}

export class InstallTools {
  private readonly home = mkdtempSync(join(tmpdir(), 'gateway-worker-install-test-'));
  private readonly helmBinary = findAsset('helm');
  private readonly kubectlBinary = findAsset('kubectl');

  constructor(private readonly kubeconfigPath: string) {}

  helm(args: readonly string[], input?: string): Promise<ToolResult> {
    return runTool(this.helmBinary, [...args, '--kubeconfig', this.kubeconfigPath], {
      env: helmEnv(this.home),
      input,
    });
  }

  kubectl(args: readonly string[], input?: string): Promise<ToolResult> {
    const cacheDir = join(this.home, 'kube-cache');
    return runTool(
      this.kubectlBinary,
      [...args, '--kubeconfig', this.kubeconfigPath, '--cache-dir', cacheDir],
      {
        input,
      },
    );
  }

  /** Creates the namespaces that do not exist yet, with optional labels. */
  async ensureNamespaces(names: readonly string[], labels: Record<string, string> = {}): Promise<void> {
    const items = names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }));
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
    succeeded(await this.kubectl(['apply', '-f', '-'], list), `create namespaces ${names.join(', ')}`);
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
