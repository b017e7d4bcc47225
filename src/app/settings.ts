import { channelDefinitions } from '../channels/registry.js';
import {
  type Config,
  type ConfigProblem,
  type EnvField,
  envExample,
  loadConfig,
  settingsTable,
} from '../config/index.js';

/**
 * The whole configuration: the config module's own settings plus those each channel declares
 * (ChannelDefinition.settings). Composed here, above both, so the config module never has to
 * know a channel and adding a channel stays one folder plus its registry line.
 */

export function channelSettingFields(): Record<string, EnvField> {
  return Object.assign({}, ...channelDefinitions.map((d) => d.settings ?? {}));
}

/** Providers of one-time codes that are not channels. */
const OWN_OTP_PROVIDERS = ['console', 'webhook'];

/** The rules each channel has across its own settings, and OTP_PROVIDER naming a channel. */
function channelProblems(config: Config): Omit<ConfigProblem, 'example'>[] {
  const problems = channelDefinitions.flatMap((d) => d.settingProblems?.(config) ?? []);
  const provider = config.otp.provider;
  const carriers = channelDefinitions.filter((d) => d.deliversCodes).map((d) => d.name);
  if (!OWN_OTP_PROVIDERS.includes(provider) && !carriers.includes(provider))
    problems.push({
      field: 'OTP_PROVIDER',
      message: `must be ${[...OWN_OTP_PROVIDERS, ...carriers].join(', ')} (got "${provider}")`,
    });
  if (!channelDefinitions.some((d) => d.name === config.staffChannel))
    problems.push({
      field: 'STAFF_CHANNEL',
      message: `must be one of ${channelDefinitions.map((d) => d.name).join(', ')} (got "${config.staffChannel}")`,
    });
  return problems;
}

/** `loadConfig` with every channel's settings: what the CLI and the tests' apps start from. */
export function loadAppConfig(source: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(source, { fields: channelSettingFields(), problems: channelProblems });
}

/**
 * Variables docker-compose.yml reads for a service of its own (not hakdata, which never reads
 * them): in a section of their own at the end of `.env.example`, so the one .env has them all.
 */
export const composeOnlySettings: Record<string, { description: string; example: string }> = {
  GRAFANA_ADMIN_PASSWORD: {
    description:
      "Password of Grafana's admin user (compose profile `monitoring`). Empty: Grafana's default, admin, which asks for a new one at the first sign-in.",
    example: 'a-long-random-grafana-password',
  },
};

/**
 * `.env.example` with every channel's settings, each channel's under its own heading, and the
 * compose-only variables last.
 */
export function appEnvExample(): string {
  const hakdata = envExample(
    channelDefinitions.flatMap((d) =>
      d.settings && Object.keys(d.settings).length > 0
        ? [{ heading: `The ${d.name} channel (declared in src/channels/${d.name}/)`, fields: d.settings }]
        : [],
    ),
  );
  const compose = Object.entries(composeOnlySettings).flatMap(([name, { description, example }]) => [
    `# ${description}`,
    `# example: ${example}`,
    `${name}=`,
    '',
  ]);
  return [
    hakdata,
    '# ── docker-compose only: read by docker-compose.yml for its other services, never by hakdata ──',
    '',
    ...compose,
  ].join('\n');
}

/** The README's settings table with every channel's settings. */
export function appSettingsTable(): string {
  return settingsTable(channelSettingFields());
}
