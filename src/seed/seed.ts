import type { Models } from '../db/index.js';

export interface SeedReport {
  customers: { created: number; existing: number };
  orders: { created: number; existing: number };
}

/** Placeholder: the demo tenant is written by the foundation work. */
export async function seedDemo(_models: Models): Promise<SeedReport> {
  return { customers: { created: 0, existing: 0 }, orders: { created: 0, existing: 0 } };
}
