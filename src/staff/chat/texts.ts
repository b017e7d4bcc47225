/** What the staff chat says (Indonesian: the staff work in it). */
export const STAFF_CHAT_TEXTS = {
  notAllowed: 'Maaf, Anda tidak berwenang memutuskan permintaan. (Not allowed)',
  notFound: (ref: string) => `Permintaan ${ref} tidak ditemukan.`,
  approved: (ref: string) => `${ref} disetujui.`,
  alreadyDecided: (who: string, outcome: string) => `Sudah diputuskan oleh ${who} (${outcome}).`,
  noDecisionNeeded: (ref: string, status: string) => `${ref} sudah ${status}; tidak perlu keputusan.`,
  askReasonAnswer: (ref: string) => `Tulis alasan penolakan ${ref}.`,
  askReason: (name: string, ref: string, minutes: number) =>
    `${name}, tulis alasan penolakan ${ref} untuk pelanggan: balas pesan ini (dalam ${minutes} menit). Alasan ini dikirim ke pelanggan apa adanya. Ketik "batal" untuk membatalkan.`,
  reasonPlaceholder: 'Alasan penolakan',
  reasonCancelled: (ref: string) => `Penolakan ${ref} dibatalkan; permintaan tetap menunggu keputusan.`,
  reasonNotText: 'Kirim alasan penolakan sebagai teks biasa, atau "batal".',
  reasonTooLong: (length: number, max: number) =>
    `Alasan terlalu panjang (${length} karakter, maks. ${max}). Kirim versi yang lebih pendek.`,
  rejected: (ref: string) => `${ref} ditolak. Alasan sudah dikirim ke pelanggan.`,
  detailSent: (ref: string) => `Detail ${ref} dikirim.`,
} as const;
