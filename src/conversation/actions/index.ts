import { optIn, optOut } from './consent.js';
import { checkCode, requireVerified, sendCode, senderPhone } from './identity.js';
import { createRequest, requestStatus } from './requests.js';
import { currentRestriction } from './restriction.js';
import type { ActionDefinition } from './types.js';
import { namedField } from './update.js';

/** Every action a flow may name. Flows hold no code: this list is all they can do. */
export const actions: ActionDefinition[] = [
  requireVerified,
  senderPhone,
  sendCode,
  checkCode,
  createRequest,
  requestStatus,
  optOut,
  optIn,
  namedField,
  currentRestriction,
];

export const actionsByName = new Map(actions.map((a) => [a.name, a]));
export type { ActionApp, ActionDefinition, EngineDeps, OtpPort } from './types.js';
