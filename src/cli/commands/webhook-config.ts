// `logistis webhook-config`: prints the ValidatingWebhookConfiguration for a server, with the capture presets that
// the API server can evaluate itself as matchConditions, and CONNECT for the exec preset.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '../../config/serve-config.ts';
import { renderWebhookConfiguration, type WebhookServiceRef } from '../../deploy/webhook-config.ts';
import { RuleCompileError } from '../../rules/cel.ts';
import { DEFAULT_PRESETS, parsePresetList } from '../../rules/presets.ts';
import { readRulesFile } from '../../rules/rule-set.ts';

interface Options {
  url?: string;
  service?: string;
  caFile: string;
  timeoutSeconds: string;
  name: string;
  capturePresets: string;
  rules?: string;
  strictLocks?: boolean;
}

function parseService(text: string): WebhookServiceRef {
  const match = /^([a-z0-9-]+)\/([a-z0-9-]+)(?::(\d+))?(\/.*)?$/.exec(text);
  if (!match) throw new ConfigError(`--service: must be NAMESPACE/NAME[:PORT][/PATH], got "${text}"`);
  return { namespace: match[1]!, name: match[2]!, port: match[3] ? Number(match[3]) : 443, path: match[4] ?? '/capture' };
}

export function webhookConfigCommand(): Command {
  return new Command('webhook-config')
    .description('print the ValidatingWebhookConfiguration (YAML, for kubectl apply -f -) that sends changes to logistis serve')
    .option('--url <url>', 'https URL of /capture, e.g. https://127.0.0.1:8443/capture')
    .option('--service <ref>', 'NAMESPACE/NAME[:PORT][/PATH] of the Service in front of logistis')
    .requiredOption('--ca-file <file>', 'PEM CA that signed the server certificate')
    .option('--timeout-seconds <n>', '1 to 30', '5')
    .option('--name <name>', 'metadata.name', 'logistis')
    .option('--capture-presets <list>', 'the presets serve runs with', DEFAULT_PRESETS.join(','))
    .option('--rules <file>', 'the rules file serve runs with (include rules keep presets out of the matchConditions)')
    .option('--strict-locks', 'add the strict Locks entry: failurePolicy Fail, only Lock checks, only in namespaces labelled logistis.io/strict-locks=true (docs/locks.md)')
    .action((options: Options) => {
      let presets;
      try {
        presets = parsePresetList(options.capturePresets);
      } catch (error) {
        throw new ConfigError(`--capture-presets: ${(error as Error).message}`);
      }
      let userRulesInclude = false;
      try {
        userRulesInclude = options.rules !== undefined
          && readRulesFile(options.rules).rules.some((rule) => (rule as { action?: unknown } | null)?.action === 'include');
      } catch (error) {
        if (error instanceof RuleCompileError) throw new ConfigError(`--rules: ${error.message}`);
        throw error;
      }
      let caBundlePem: string;
      try {
        caBundlePem = readFileSync(options.caFile, 'utf8');
      } catch (error) {
        throw new ConfigError(`--ca-file: cannot read ${options.caFile}: ${(error as Error).message}`);
      }
      try {
        const { yaml } = renderWebhookConfiguration({
          ...(options.url !== undefined ? { url: options.url } : {}),
          ...(options.service !== undefined ? { service: parseService(options.service) } : {}),
          caBundlePem, timeoutSeconds: Number(options.timeoutSeconds), configurationName: options.name, presets, userRulesInclude,
          strictLocks: options.strictLocks === true,
        });
        process.stdout.write(yaml);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError((error as Error).message);
      }
    });
}
