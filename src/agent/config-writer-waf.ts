/**
 * WAF_RULES: the merged rule sets as the gateway's waf-rules.yaml, and their IP lists as the WAF
 * part of waf-ip-lists.yaml (merged there with the deny lists of the ip-deny type).
 */
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { versionInYamlFile, type ConfigWriterFactory } from './config-writer.js';
import { WAF_IP_LISTS_FILE, WAF_RULES_FILE, buildWafFiles } from './waf-rules.js';

export const wafRulesWriter: ConfigWriterFactory = ({ dir, ipLists }) => ({
  loadVersion: () => versionInYamlFile(join(dir, WAF_RULES_FILE)),
  check(version, resources) {
    const built = buildWafFiles(version, resources);
    if ('errors' in built) return built;
    return {
      write: async () => {
        // The IP lists first: waf-rules.yaml carries the version an agent reads back after a restart.
        await ipLists.writeWaf(version, built.lists.allow, built.lists.deny);
        for (const { file, content } of built.files) {
          if (file !== WAF_IP_LISTS_FILE) await writeFileAtomic(join(dir, file), content, 0o644);
        }
      },
    };
  },
});
