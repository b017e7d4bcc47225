import type { AppContext } from './context.js';

/**
 * A part of the process that starts and stops: a channel gateway, a queue worker, the admin
 * server. Roles are lists of components (src/app/roles.ts); shutdown stops them in reverse.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type ComponentFactory = (ctx: AppContext) => Component | undefined | Promise<Component | undefined>;
