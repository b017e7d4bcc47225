import { healthRoutes } from '../admin/health.js';
import { createAdminComponent } from '../admin/server.js';
import { createGatewayComponent } from '../gateway/component.js';
import { createMetricsComponent } from '../metrics/serve.js';
import { installationSources } from '../workers/queue-names.js';
import { createRequestWorkersComponent } from '../workers/requests-component.js';
import type { ComponentFactory } from './component.js';
import { createOutboundSenderComponent } from './outbound.js';

export type Role = 'gateway' | 'worker' | 'admin';

const metricsComponent: ComponentFactory = (ctx) =>
  createMetricsComponent(ctx, installationSources(ctx), healthRoutes(ctx));

/**
 * Which components each role runs. `ROLE=all` runs every list. A new worker or channel is one
 * line here. Factories return undefined when their feature is not configured.
 */
export const componentsByRole: Record<Role, ComponentFactory[]> = {
  // The metrics server runs only without the admin role (the admin server serves /metrics).
  gateway: [createGatewayComponent, metricsComponent],
  worker: [createRequestWorkersComponent, createOutboundSenderComponent, metricsComponent],
  admin: [createAdminComponent],
};

export function rolesFor(role: 'all' | Role): Role[] {
  return role === 'all' ? ['worker', 'gateway', 'admin'] : [role];
}
