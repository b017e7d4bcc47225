import { z } from 'zod';
import { bool, type Config, type EnvField, field } from '../../config/index.js';

/**
 * The web chat's setting, declared by the channel and merged into the config schema (and so into
 * `.env.example` and the README's settings table) through its ChannelDefinition.
 */
export const webchatSettings = {
  WEBCHAT_ENABLED: field(
    bool.optional(),
    'true',
    'Serve the local web chat (development channel). Defaults to on outside production.',
  ),
} satisfies Record<string, EnvField>;

// Read back from the parsed value (unset: the default, which depends on the environment).
const parsed = z.object({ WEBCHAT_ENABLED: z.boolean().optional() });

/** On when WEBCHAT_ENABLED says so, else outside production. */
export function webchatEnabled(config: Pick<Config, 'channelSettings' | 'isProduction'>): boolean {
  return parsed.parse(config.channelSettings ?? {}).WEBCHAT_ENABLED ?? !config.isProduction;
}

/** Checked when the config is loaded. */
export function webchatSettingProblems(
  config: Pick<Config, 'channelSettings' | 'isProduction'>,
): { field: string; message: string }[] {
  // Anyone who reaches /chat could pick a customer and talk as them.
  return config.isProduction && webchatEnabled(config)
    ? [
        {
          field: 'WEBCHAT_ENABLED',
          message: 'the local web chat lets anyone pick a customer and is refused in production',
        },
      ]
    : [];
}
