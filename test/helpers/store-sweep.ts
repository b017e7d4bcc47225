import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

/**
 * Searches every store of an installation for given values: every document of every MongoDB
 * collection of its database, and every Redis key of its prefix (the key's name and its value, of
 * any type: string, hash, list, set, zset, stream). Values are searched as stored and decoded:
 * JSON is walked, base64 runs are decoded (a document in a web chat reply, a job's payload) and
 * searched again, a few levels deep. Case-insensitive.
 */

export interface Needle {
  /** What the value is ('name', 'phone +62'…), for a readable failure. */
  label: string;
  value: string;
}

export interface Hit {
  store: 'mongodb' | 'redis';
  /** Collection and document _id, or the Redis key. */
  where: string;
  /** Field path inside the document or value ('' for the key name itself). */
  path: string;
  label: string;
  /** The document (MongoDB), for retention rules that look at it. */
  doc?: Record<string, unknown>;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;
const MAX_DEPTH = 4;

/** Every readable string inside a value: itself, its JSON's strings, its base64 runs decoded. */
export function expand(value: string, depth = 0): string[] {
  const out = [value];
  if (depth >= MAX_DEPTH) return out;
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')) {
    try {
      for (const s of stringsOf(JSON.parse(trimmed))) out.push(...expand(s, depth + 1));
    } catch {
      // not JSON after all
    }
  }
  for (const run of value.match(BASE64_RUN) ?? []) {
    const decoded = Buffer.from(run, run.includes('-') || run.includes('_') ? 'base64url' : 'base64');
    const text = decoded.toString('utf8');
    // Only what decodes to mostly printable text is searched again (ciphertext is noise).
    const printable = text.replace(/[^\x20-\x7e\u00a0-\uffff\n\r\t]/g, '').length;
    if (text.length > 0 && printable / text.length > 0.85) out.push(...expand(text, depth + 1));
    else out.push(decoded.toString('latin1'));
  }
  return out;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}

function matches(text: string, needles: Needle[]): Needle[] {
  const lower = text.toLowerCase();
  return needles.filter((n) => lower.includes(n.value.toLowerCase()));
}

/** Walks a document: every leaf with its path. */
function* leaves(value: unknown, path: string): Generator<[string, string]> {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    yield [path, value];
    return;
  }
  if (value instanceof Date) return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* leaves(v, `${path}[${i}]`);
    return;
  }
  if (typeof value === 'object') {
    const maybeId = value as { _bsontype?: string; toHexString?: () => string; buffer?: unknown };
    if (maybeId._bsontype === 'ObjectId' || maybeId._bsontype === 'ObjectID') return;
    if (maybeId._bsontype === 'Binary' && maybeId.buffer instanceof Uint8Array) {
      yield [path, Buffer.from(maybeId.buffer).toString('latin1')];
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      yield [`${path ? `${path}.` : ''}${k}#key`, k];
      yield* leaves(v, path ? `${path}.${k}` : k);
    }
    return;
  }
  yield [path, String(value)];
}

export async function sweepMongo(mongo: Connection, needles: Needle[]): Promise<Hit[]> {
  const db = mongo.db;
  if (!db) throw new Error('no database');
  const hits: Hit[] = [];
  for (const { name } of await db.listCollections().toArray()) {
    for await (const doc of db.collection(name).find({})) {
      for (const [path, text] of leaves(doc, '')) {
        for (const piece of expand(text))
          for (const n of matches(piece, needles))
            if (!hits.some((h) => h.where === `${name}/${doc._id}` && h.path === path && h.label === n.label))
              hits.push({ store: 'mongodb', where: `${name}/${doc._id}`, path, label: n.label, doc });
      }
    }
  }
  return hits;
}

/** Every value of a key as strings, whatever its type. */
async function valuesOf(redis: Redis, key: string): Promise<[string, string][]> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return [['', (await redis.get(key)) ?? '']];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).flatMap(([f, v]) => [
        [`${f}#field`, f],
        [f, v],
      ]);
    case 'list':
      return (await redis.lrange(key, 0, -1)).map((v, i) => [`[${i}]`, v]);
    case 'set':
      return (await redis.smembers(key)).map((v) => ['member', v]);
    case 'zset':
      return (await redis.zrange(key, 0, -1)).map((v) => ['member', v]);
    case 'stream':
      return (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) =>
        fields.map((v, i) => [`${id}[${i}]`, v] as [string, string]),
      );
    case 'none':
      return [];
    default:
      throw new Error(`key ${key}: type ${type} is not searched`);
  }
}

export async function sweepRedis(redis: Redis, prefix: string, needles: Needle[]): Promise<Hit[]> {
  const hits: Hit[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      // A key's name is searched decoded too: a WhatsApp Cloud API wamid encodes the number.
      for (const piece of expand(key))
        for (const n of matches(piece, needles))
          if (!hits.some((h) => h.where === key && h.path === '' && h.label === n.label))
            hits.push({ store: 'redis', where: key, path: '', label: n.label });
      for (const [path, value] of await valuesOf(redis, key))
        for (const piece of expand(value))
          for (const n of matches(piece, needles))
            if (!hits.some((h) => h.where === key && h.path === path && h.label === n.label))
              hits.push({ store: 'redis', where: key, path, label: n.label });
    }
  } while (cursor !== '0');
  return hits;
}

/** A hit, readable in a failure message (the where, the path and the kind of value; not the value). */
export const describeHit = (h: Hit) => `${h.store} ${h.where} ${h.path || '(value)'}: ${h.label}`;
