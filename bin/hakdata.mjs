#!/usr/bin/env node
// `hakdata` on PATH (npm link / npx hakdata): the TypeScript sources run through tsx, as in `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
