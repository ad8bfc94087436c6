/** WAF_RULES: the merged rule sets as the gateway's waf-rules.yaml and waf-ip-lists.yaml. */
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { versionInYamlFile, type ConfigWriterFactory } from './config-writer.js';
import { WAF_RULES_FILE, buildWafFiles } from './waf-rules.js';

export const wafRulesWriter: ConfigWriterFactory = ({ dir }) => ({
  loadVersion: () => versionInYamlFile(join(dir, WAF_RULES_FILE)),
  check(version, resources) {
    const built = buildWafFiles(version, resources);
    if ('errors' in built) return built;
    return {
      write: async () => {
        for (const { file, content } of built.files) await writeFileAtomic(join(dir, file), content, 0o644);
      },
    };
  },
});
