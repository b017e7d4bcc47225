import type { Models, PrivacyRequest, RequestType } from '../db/index.js';
import { OPEN_STATUSES } from './states.js';

/**
 * What other modules read of privacy requests, in one place beside the service that writes them.
 * It is given the one model it reads (not the whole AppContext), and each query keeps the filter
 * and projection its caller tuned: on FerretDB 1.24 every filter but `{_id}` reads the whole
 * collection, so a read model that fetched whole documents "to be general" would cost each caller.
 */
export interface RequestReadModel {
  /** Requests a job should be running for (queued or processing): what the reconciler checks. */
  withJobs(): Promise<JobbedRequest[]>;
  /**
   * The status and attempts of these requests now, by `_id`: a second look before acting on a
   * stale list, all of them in one query (a few for thousands); those not found are missing.
   */
  statesOf(ids: PrivacyRequest['_id'][]): Promise<Pick<PrivacyRequest, '_id' | 'status' | 'attempts'>[]>;
  /** The type of every open request past its deadline, for the overdue gauge. */
  overdueTypes(now: Date, limit: number): Promise<RequestType[]>;
  /** Open requests due before `before`, with what a reminder needs. */
  dueBefore(
    before: Date,
  ): Promise<
    Pick<PrivacyRequest, '_id' | 'ref' | 'type' | 'customerId' | 'createdAt' | 'dueAt' | 'reminders'>[]
  >;
}

export type JobbedRequest = Pick<
  PrivacyRequest,
  '_id' | 'ref' | 'type' | 'status' | 'attempts' | 'channel' | 'chatId' | 'locale'
>;

/** Ids in one `statesOf` query. */
const STATES_PER_QUERY = 1_000;

export function createRequestReadModel(models: Pick<Models, 'PrivacyRequest'>): RequestReadModel {
  const { PrivacyRequest } = models;
  return {
    withJobs: () =>
      PrivacyRequest.find(
        { status: { $in: ['queued', 'processing'] } },
        { ref: 1, type: 1, status: 1, attempts: 1, channel: 1, chatId: 1, locale: 1 },
      )
        .lean<JobbedRequest[]>()
        .exec(),
    statesOf: async (ids) => {
      // One query per thousand, not one per request: on FerretDB 1.24 any filter but `{_id}`
      // alone (an `$in` too) reads the whole collection, and one read per request made the
      // reconciler's pass quadratic (a thousand lost jobs took minutes).
      const states: Pick<PrivacyRequest, '_id' | 'status' | 'attempts'>[] = [];
      for (let i = 0; i < ids.length; i += STATES_PER_QUERY)
        states.push(
          ...(await PrivacyRequest.find(
            { _id: { $in: ids.slice(i, i + STATES_PER_QUERY) } },
            { status: 1, attempts: 1 },
          )
            .lean<Pick<PrivacyRequest, '_id' | 'status' | 'attempts'>[]>()
            .exec()),
        );
      return states;
    },
    overdueTypes: async (now, limit) => {
      const rows = await PrivacyRequest.find(
        { status: { $in: [...OPEN_STATUSES] }, dueAt: { $lt: now } },
        { type: 1, _id: 0 },
      )
        .limit(limit)
        .lean<Pick<PrivacyRequest, 'type'>[]>();
      return rows.map((r) => r.type);
    },
    dueBefore: (before) =>
      PrivacyRequest.find(
        { status: { $in: OPEN_STATUSES }, dueAt: { $lte: before } },
        { ref: 1, type: 1, customerId: 1, createdAt: 1, dueAt: 1, reminders: 1 },
      )
        .lean<PrivacyRequest[]>()
        .exec(),
  };
}
