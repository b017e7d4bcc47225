import { type Locale, statusLabels } from '../catalogue/index.js';
import type { RequestType } from '../db/index.js';
import type { Outcome } from './rights-report.js';

/** Every word of the rights report (terminal, CSV headers, PDF, console), Indonesian and English. */
// The report's languages are the one Locale type (src/catalogue/).
export type ReportLang = Locale;

/** The closed statuses' words, from the one catalogue; the types keep the report's legal terms. */
const closedStatuses = (locale: Locale) => {
  const { completed, rejected, failed, cancelled } = statusLabels(locale, { asHeadings: true });
  return { completed, rejected, failed, cancelled };
};

export interface ReportText {
  intl: string;
  title: string;
  subtitle(business: string, month: string): string;
  generatedAt: string;
  period: string;
  periodNote: string;
  total: string;
  byType: string;
  type: string;
  outcome: Record<Outcome, string>;
  types: Record<RequestType, string>;
  completionHeading: string;
  completionNote: string;
  median: string;
  p95: string;
  completedCount: string;
  hours(h: number | null): string;
  deadlineHeading: string;
  deadline: { met: string; late: string; overdue: string; pending: string };
  deadlineNote: string;
  rejectedHeading: string;
  rejectedNote: string;
  category: string;
  count: string;
  failedHeading: string;
  code: string;
  channelHeading: string;
  channel: string;
  activityHeading: string;
  activityNote(events: number): string;
  none: string;
  footer(business: string, page: number, pages: number): string;
}

const id: ReportText = {
  intl: 'id-ID',
  title: 'Laporan bulanan hak subjek data',
  subtitle: (business, month) => `${business} · bulan ${month}`,
  generatedAt: 'Dibuat pada',
  period: 'Periode',
  periodNote:
    'Dihitung dari permintaan yang diajukan dalam bulan ini (waktu Jakarta, WIB), menurut keadaannya saat laporan dibuat.',
  total: 'Jumlah permintaan',
  byType: 'Permintaan menurut jenis dan hasil',
  type: 'Jenis',
  // A closed outcome is a status: the one catalogue's word (src/catalogue/labels.ts).
  outcome: { ...closedStatuses('id'), open: 'Belum selesai' },
  types: {
    access: 'Akses (salinan data)',
    update: 'Perbaikan data',
    erase: 'Penghapusan data',
    unsubscribe: 'Penarikan persetujuan promosi',
    subscribe: 'Persetujuan promosi',
    restrict: 'Pembatasan pemrosesan',
  },
  completionHeading: 'Waktu penyelesaian',
  completionNote: 'Dari permintaan diajukan sampai selesai, untuk permintaan yang selesai.',
  median: 'Median',
  p95: 'Persentil ke-95',
  completedCount: 'Selesai',
  hours: (h) => (h === null ? '-' : `${h.toLocaleString('id-ID')} jam`),
  deadlineHeading: 'Batas waktu (UU PDP: 3×24 jam)',
  deadline: {
    met: 'Diselesaikan tepat waktu',
    late: 'Diselesaikan terlambat',
    overdue: 'Lewat batas waktu, belum selesai',
    pending: 'Belum selesai, masih dalam batas waktu',
  },
  deadlineNote:
    'Tepat waktu: status akhir (selesai, ditolak, gagal, dibatalkan) tercapai sebelum batas waktunya.',
  rejectedHeading: 'Permintaan ditolak, menurut kategori alasan',
  rejectedNote:
    'Kategori: tanda yang membuat permintaan ditinjau staf (misalnya UNPAID_ORDER = pesanan belum dibayar); NOT_FLAGGED = tanpa tanda.',
  category: 'Kategori',
  count: 'Jumlah',
  failedHeading: 'Permintaan gagal, menurut kode',
  code: 'Kode',
  channelHeading: 'Menurut kanal',
  channel: 'Kanal',
  activityHeading: 'Catatan kegiatan pemrosesan (UU PDP pasal 31)',
  activityNote: (events) =>
    `${events} peristiwa audit tercatat bulan ini. Rinciannya (disamarkan) ada di berkas CSV: hakdata report --month <bulan> --activity.`,
  none: 'Tidak ada.',
  footer: (business, page, pages) => `${business} · Laporan hak subjek data · halaman ${page} dari ${pages}`,
};

const en: ReportText = {
  intl: 'en-GB',
  title: 'Monthly data-subject rights report',
  subtitle: (business, month) => `${business} · month ${month}`,
  generatedAt: 'Generated on',
  period: 'Period',
  periodNote:
    'Counted over the requests made in this month (Jakarta time, WIB), as they stand when the report was made.',
  total: 'Requests',
  byType: 'Requests by type and outcome',
  type: 'Type',
  // A closed outcome is a status: the one catalogue's word (src/catalogue/labels.ts).
  outcome: { ...closedStatuses('en'), open: 'Open' },
  types: {
    access: 'Access (copy of data)',
    update: 'Correction',
    erase: 'Erasure',
    unsubscribe: 'Marketing consent withdrawn',
    subscribe: 'Marketing consent given',
    restrict: 'Restriction of processing',
  },
  completionHeading: 'Time to completion',
  completionNote: 'From the request to its completion, for completed requests.',
  median: 'Median',
  p95: '95th percentile',
  completedCount: 'Completed',
  hours: (h) => (h === null ? '-' : `${h.toLocaleString('en-GB')} h`),
  deadlineHeading: 'Deadlines (UU PDP: 3×24 hours)',
  deadline: {
    met: 'Closed on time',
    late: 'Closed late',
    overdue: 'Overdue, still open',
    pending: 'Open, not yet due',
  },
  deadlineNote:
    'On time: the final status (completed, rejected, failed, cancelled) was reached by the deadline.',
  rejectedHeading: 'Rejected requests by reason category',
  rejectedNote:
    'Category: the flag that sent the request to staff (e.g. UNPAID_ORDER = an unpaid order); NOT_FLAGGED = none.',
  category: 'Category',
  count: 'Count',
  failedHeading: 'Failed requests by code',
  code: 'Code',
  channelHeading: 'By channel',
  channel: 'Channel',
  activityHeading: 'Record of processing activity (UU PDP art. 31)',
  activityNote: (events) =>
    `${events} audit events were recorded this month. Their detail (masked) is in the CSV file: hakdata report --month <month> --activity.`,
  none: 'None.',
  footer: (business, page, pages) => `${business} · Data-subject rights report · page ${page} of ${pages}`,
};

export const REPORT_TEXT: Record<ReportLang, ReportText> = { id, en };
