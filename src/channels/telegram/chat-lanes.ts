/**
 * Handles a batch of updates one chat at a time within the chat and many chats at once.
 *
 * Handling one update waits on Redis (and sometimes MongoDB) for a few milliseconds; done one
 * after another, a burst of 500 new customers queued up behind each other and the last was
 * answered seconds after the first (bench `first_reply_new_chats`). A chat's updates must still
 * be handled in order (its session is read and written by each turn, its replies are queued in
 * that order), so each chat gets a lane: its updates in order, the lanes side by side, at most
 * `concurrency` at a time. A lane stops at its first failure: the update that failed and the
 * ones behind it in that chat are left for the next attempt, other chats go on.
 */

/** What became of one item: handled, failed with this error, or not tried (its lane stopped first). */
export type LaneOutcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'not-tried' };

export interface LaneOptions<T> {
  /** The lane an item belongs to: items with the same key are handled in their batch order. */
  laneOf(item: T): string;
  handle(item: T): Promise<void>;
  /** Lanes handled at the same time. */
  concurrency: number;
  /** Checked before each item: true leaves the rest not tried (the process is stopping). */
  stopping?(): boolean;
}

/** Outcomes in the order of `items`. */
export async function handleInChatLanes<T>(
  items: readonly T[],
  options: LaneOptions<T>,
): Promise<LaneOutcome[]> {
  const outcomes: LaneOutcome[] = items.map(() => ({ kind: 'not-tried' }));
  const lanes = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = options.laneOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  const waiting = [...lanes.values()];
  const runLane = async (lane: number[]) => {
    for (const index of lane) {
      if (options.stopping?.()) return;
      try {
        await options.handle(items[index] as T);
        outcomes[index] = { kind: 'done' };
      } catch (error) {
        outcomes[index] = { kind: 'failed', error };
        return;
      }
    }
  };
  // A fixed number of runners, each taking the next waiting lane: lanes start in the order their
  // chat first appears, so the chat that wrote first is answered first.
  const runner = async () => {
    for (let lane = waiting.shift(); lane; lane = waiting.shift()) await runLane(lane);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, lanes.size)) }, runner));
  return outcomes;
}

/**
 * The chat an update belongs to, read loosely (the adapter validates the update when it handles
 * it): a message's chat, a button press's message's chat or else its sender. An update with
 * neither shares one lane with the others like it, so they keep their order.
 */
export function updateChatLane(update: unknown): string {
  const u = update as {
    message?: { chat?: { id?: unknown } };
    callback_query?: { message?: { chat?: { id?: unknown } }; from?: { id?: unknown } };
  } | null;
  const id = u?.message?.chat?.id ?? u?.callback_query?.message?.chat?.id ?? u?.callback_query?.from?.id;
  return typeof id === 'number' || typeof id === 'string' ? `chat:${id}` : 'other';
}
