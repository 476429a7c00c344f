/**
 * The app's manifest.yml, read as Slack reads it when the app is installed:
 * the slash commands it declares, and the bot scopes the installation grants.
 * The stand-in grants the bot those scopes and no others, so a Web API call
 * the manifest does not allow fails locally as it would in Slack
 * (`missing_scope`), not only in production.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ManifestCommand {
  command: string;
  description: string;
  usageHint: string;
}

export interface AppManifest {
  commands: ManifestCommand[];
  botScopes: string[];
}

/** The package's manifest.yml, from the source tree (src/slack-standin/) or the compiled one (dist/src/slack-standin/). */
const CANDIDATES = [new URL('../../manifest.yml', import.meta.url), new URL('../../../manifest.yml', import.meta.url)];

/** The manifest at `path` (default the package's), or undefined when there is none to read. */
export function readAppManifest(path?: string | URL): AppManifest | undefined {
  for (const candidate of path ? [path] : CANDIDATES) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch {
      continue; // Not at this path (source tree vs. compiled tree); try the next.
    }
    const manifest = asRecord(parse(text));
    const commands = asList(asRecord(manifest['features'])['slash_commands']).flatMap((c): ManifestCommand[] => {
      const r = asRecord(c);
      if (typeof r['command'] !== 'string') return [];
      return [{
        command: r['command'],
        description: typeof r['description'] === 'string' ? r['description'] : '',
        usageHint: typeof r['usage_hint'] === 'string' ? r['usage_hint'] : '',
      }];
    });
    const botScopes = asList(asRecord(asRecord(manifest['oauth_config'])['scopes'])['bot']).filter((s): s is string => typeof s === 'string');
    return { commands, botScopes };
  }
  return undefined;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
