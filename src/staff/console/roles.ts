import type { StaffRole } from '../../db/index.js';
import type { StaffIdentity } from '../accounts.js';

const ROLE_RANK: Record<StaffRole, number> = { agent: 1, admin: 2 };

/** Admins may do everything agents may. */
export const hasRole = (staff: StaffIdentity | null | undefined, role: StaffRole): boolean =>
  Boolean(staff && ROLE_RANK[staff.role] >= ROLE_RANK[role]);
