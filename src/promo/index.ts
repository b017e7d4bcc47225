/** Promotions (broadcasts) that respect marketing consent. What other modules may use. */
export {
  checkBatch,
  checkRecipient,
  type Eligibility,
  SKIP_REASONS,
  type SkipReason,
} from './eligibility.js';
export { PromoError, type PromoErrorCode } from './errors.js';
export { loadPromoFile, type PromoFile, PromoFileError, parsePromo } from './file.js';
export { promoText, stopFooter } from './message.js';
export {
  latestPromoOfChat,
  PROMO_REPLY_WINDOW_MS,
  type PromoMessageDeps,
  promoOfReply,
  recordPromoMessage,
} from './replies.js';
export { formatReport } from './report.js';
export { type LiveProgress, type PromoReport, type PromoSendOptions, sendPromo } from './sender.js';
export { listPromos, type PromoSummary, summarize } from './status.js';
