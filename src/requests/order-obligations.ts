/**
 * Which orders still bind the business to the customer (policy §4: deletion must not affect
 * services already agreed). One definition, used by the erase flag rules and the erase worker.
 */

/** Not yet done: the visit still has to happen. */
export const openOrderFilter = { status: { $in: ['scheduled', 'in_progress'] } };

/** Done but not paid for: the business still has a claim. Cancelled orders owe nothing. */
export const unpaidOrderFilter = { paymentStatus: 'unpaid', status: { $ne: 'cancelled' } };

/** Finished: cancelled, or completed and paid/refunded. Only these are reduced on erasure. */
export const finishedOrderFilter = {
  $or: [{ status: 'cancelled' }, { status: 'completed', paymentStatus: { $ne: 'unpaid' } }],
};

/**
 * Open or unpaid (what the erase flags look for), in one filter: neither cancelled nor completed
 * and paid or refunded. `$nor` keeps it one clause that MongoDB serves from the customerId index.
 */
export const unfinishedOrderFilter = {
  $nor: [{ status: 'cancelled' }, { status: 'completed', paymentStatus: { $in: ['paid', 'refunded'] } }],
};
