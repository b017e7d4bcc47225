import type { RedisStore } from '../app/context.js';
import type { StaffNameLookup } from './staff-cards.js';

/**
 * Staff members' Telegram display names, so a decided card says "Andi (telegram:777)" rather
 * than a bare number, also when someone else presses the card later. Staff names only (never a
 * customer's): remembered when an allowlisted user acts, for 90 days.
 */

const TTL_SECONDS = 90 * 24 * 3600;

export interface StaffNames {
  remember(
    userId: string,
    from: { first_name?: string; last_name?: string; username?: string },
  ): Promise<void>;
  lookup: StaffNameLookup;
}

export function displayNameOf(from: { first_name?: string; last_name?: string; username?: string }): string {
  const full = [from.first_name, from.last_name].filter(Boolean).join(' ').trim().slice(0, 64);
  if (full && from.username) return `${full} @${from.username}`;
  return full || (from.username ? `@${from.username}` : '');
}

export function staffNames(store: RedisStore): StaffNames {
  const key = (userId: string) => store.key('staff', 'telegram-name', userId);
  return {
    async remember(userId, from) {
      const name = displayNameOf(from);
      if (name) await store.redis.set(key(userId), name, 'EX', TTL_SECONDS);
    },
    async lookup(actor) {
      const m = /^telegram:(\d+)$/.exec(actor);
      if (!m?.[1]) return undefined;
      return (await store.redis.get(key(m[1]))) ?? undefined;
    },
  };
}
