import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

import type { Locale } from '../catalogue/index.js';

// The one Locale type lives in src/catalogue/; flows read it from here with their texts.
export { isLocale, LOCALES, type Locale } from '../catalogue/index.js';

export type Vars = Record<string, string | number | undefined>;
export type Translate = (key: string, vars?: Vars) => string;

/** Flattened texts of one language: `menu.prompt` → sentence. */
export type LocaleTexts = Map<string, string>;

const textsSchema: z.ZodType<unknown> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), textsSchema])),
);

export function flatten(tree: unknown, prefix = '', into: LocaleTexts = new Map()): LocaleTexts {
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') into.set(path, value.trimEnd());
    else flatten(value, path, into);
  }
  return into;
}

export function parseLocale(source: string): LocaleTexts {
  return flatten(textsSchema.parse(parse(source)));
}

export function loadLocales(flowsDir: string): Record<Locale, LocaleTexts> {
  return {
    id: parseLocale(readFileSync(join(flowsDir, 'locales', 'id.yaml'), 'utf8')),
    en: parseLocale(readFileSync(join(flowsDir, 'locales', 'en.yaml'), 'utf8')),
  };
}

/** `{name}` placeholders filled from vars; a key missing in English falls back to Indonesian. */
export function translator(locales: Record<Locale, LocaleTexts>, locale: Locale, base: Vars = {}): Translate {
  return (key, vars = {}) => {
    const template = locales[locale].get(key) ?? locales.id.get(key) ?? key;
    return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? base[name] ?? ''));
  };
}
