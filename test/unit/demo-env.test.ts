import { describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';

const services = { redisUrl: 'redis://127.0.0.1:6379', mongoBaseUri: 'mongodb://127.0.0.1:27017' };

describe('npm run demo settings', () => {
  it('uses a MONGODB_URI given whole: its database, user and options', () => {
    const given = 'mongodb://demo:pw@127.0.0.1:27017/second_demo?authSource=admin';
    expect(demoEnv({ MONGODB_URI: given }, services).MONGODB_URI).toBe(given);
  });

  it('without one, the database hakdata on the server it found or started, and the web chat on', () => {
    const env = demoEnv({ MONGODB_URI: '' }, services);
    expect(env.MONGODB_URI).toBe('mongodb://127.0.0.1:27017/hakdata');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.WEBCHAT_ENABLED).toBe('true');
    expect(demoEnv({ WEBCHAT_ENABLED: 'false' }, services).WEBCHAT_ENABLED).toBe('false');
  });
});
