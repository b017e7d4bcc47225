import { type Locale, statusLabels, typeLabels } from '../../catalogue/index.js';
import type { OrderStatus, PaymentStatus, RequestStatus, RequestType } from '../../db/index.js';

/**
 * Every word of data-saya.pdf, in Indonesian and English. Explanations quote the policy
 * (kebijakan-data-pelanggan.txt) by section; it sets no retention period, so "how long" says what
 * the policy does promise: kept while you are a customer, erased on request (§4) except what
 * agreed services still need.
 */

export interface SectionText {
  title: string;
  what: string;
  why: string;
  kept: string;
}

export interface PdfText {
  /** BCP 47 tag for dates and numbers. */
  intl: string;
  documentTitle: string;
  generatedAt: string;
  customerNo: string;
  requestRef: string;
  timeZoneNote: string;
  intro(business: string): string;
  contents: string;
  explain: { what: string; why: string; kept: string };
  none: string;
  yes: string;
  no: string;
  sections: {
    profile: SectionText;
    orders: SectionText;
    consent: SectionText;
    requests: SectionText;
    thirdParties: SectionText;
    rights: { title: string; intro: string; items: { keyword: string; text: string }[]; contact: string };
  };
  profileFields: {
    customerNo: string;
    name: string;
    phone: string;
    email: string;
    address: string;
    area: string;
    paymentMethod: string;
    createdAt: string;
    updatedAt: string;
    erasedAt: string;
  };
  erasedNote: string;
  /** UU PDP art. 11, stated on the cover while a restriction holds. */
  restriction(scope: 'marketing' | 'all', since: string, reason: string | null): string;
  orders: {
    summary(count: number, total: string): string;
    addressNote: string;
    columns: {
      orderNo: string;
      scheduledAt: string;
      service: string;
      status: string;
      amount: string;
      payment: string;
      method: string;
    };
    address: string;
    notes: string;
    anonymized: string;
  };
  orderStatus: Record<OrderStatus, string>;
  paymentStatus: Record<PaymentStatus, string>;
  consent: {
    now(granted: boolean, since: string, source: string): string;
    columns: { at: string; granted: string; source: string; channel: string; words: string };
  };
  requests: {
    columns: {
      ref: string;
      type: string;
      status: string;
      createdAt: string;
      dueAt: string;
      completedAt: string;
    };
    decision: string;
    outcome: { approved: string; rejected: string };
    changedFields: string;
  };
  requestType: Record<RequestType, string>;
  requestStatus: Record<RequestStatus, string>;
  thirdParties: { columns: { name: string; purpose: string; data: string }; note: string };
  contact: { phone: string; email: string; website: string };
  footer(business: string, page: number, pages: number): string;
}

const id: PdfText = {
  intl: 'id-ID',
  documentTitle: 'Salinan Data Pribadi Anda',
  generatedAt: 'Dibuat',
  customerNo: 'No. pelanggan',
  requestRef: 'No. permintaan',
  timeZoneNote: 'Semua waktu dalam WIB (UTC+7).',
  intro: (business) =>
    `Dokumen ini berisi semua data pribadi Anda yang disimpan ${business} pada saat dokumen ini dibuat, ` +
    'sesuai hak Anda untuk mengakses data (Kebijakan Data Pelanggan bagian 4; UU PDP No. 27 Tahun 2022). ' +
    'Salinan yang sama dalam bentuk yang dapat dibaca mesin, untuk dipindahkan ke layanan lain, ada di berkas data-saya.json.',
  contents: 'Isi',
  explain: { what: 'Apa ini', why: 'Mengapa disimpan', kept: 'Berapa lama' },
  none: 'Tidak ada.',
  yes: 'ya',
  no: 'tidak',
  sections: {
    profile: {
      title: 'Profil',
      what: 'Data yang Anda berikan saat memesan layanan: nama, alamat, nomor telepon, email, dan metode pembayaran (Kebijakan bagian 1).',
      why: 'Untuk memproses pesanan, menghubungi Anda tentang layanan yang dipesan, dan memproses pembayaran (bagian 2).',
      kept: 'Selama Anda menjadi pelanggan, sampai Anda meminta penghapusan (bagian 4).',
    },
    orders: {
      title: 'Pesanan layanan',
      what: 'Setiap layanan yang Anda pesan: tanggal, jenis layanan, alamat, jumlah, dan status pembayaran.',
      why: 'Untuk melaksanakan layanan yang disepakati dan memproses pembayarannya (bagian 2).',
      kept:
        'Selama Anda menjadi pelanggan. Jika Anda meminta penghapusan, pesanan yang sudah selesai hanya menyimpan ' +
        'nomor pesanan, tanggal, layanan, jumlah, dan status pembayaran; pesanan yang masih berjalan atau belum dibayar ' +
        'disimpan sampai layanan yang disepakati selesai (bagian 4).',
    },
    consent: {
      title: 'Persetujuan promosi',
      what: 'Apakah Anda setuju menerima promosi dan diskon, serta riwayat setiap perubahan: kapan, lewat apa, dan dengan kata apa.',
      why: 'Promosi hanya dikirim jika Anda mengizinkan (bagian 2); riwayat ini adalah bukti persetujuan Anda.',
      kept: 'Selama Anda menjadi pelanggan. Anda dapat menarik persetujuan kapan saja (bagian 4).',
    },
    requests: {
      title: 'Permintaan hak data',
      what: 'Permintaan yang Anda ajukan lewat chat (akses, ubah, hapus, berhenti promosi) dan statusnya.',
      why: 'Untuk menjawab permintaan Anda tepat waktu (3 x 24 jam untuk akses dan perubahan) dan mencatat bahwa hak Anda dipenuhi (UU PDP).',
      kept: 'Sebagai catatan pemenuhan hak Anda; catatan ini tidak berisi data pribadi selain yang tercantum di sini.',
    },
    thirdParties: {
      title: 'Pihak ketiga penerima data',
      what: 'Pihak di luar kami yang dapat menerima sebagian data Anda, sebagaimana disebut Kebijakan bagian 5.',
      why: 'Hanya untuk memproses transaksi yang diperlukan: pembayaran dan pengiriman layanan yang Anda pesan.',
      kept: 'Pihak ketiga wajib mengikuti kebijakan perlindungan data yang ketat (bagian 5).',
    },
    rights: {
      title: 'Cara memperbaiki atau menghapus data',
      intro: 'Kirim kata berikut di chat ini (bagian 4, "Hak Pelanggan atas Data Pribadi"):',
      items: [
        {
          keyword: 'UBAH',
          text: 'memperbarui nama, alamat, email, metode pembayaran, atau nomor telepon (nomor baru diverifikasi dengan kode OTP).',
        },
        {
          keyword: 'HAPUS',
          text:
            'menghapus data pribadi Anda. Layanan yang sudah disepakati tetap dipenuhi: pesanan yang masih berjalan ' +
            'atau belum dibayar diperiksa staf lebih dulu.',
        },
        { keyword: 'BERHENTI', text: 'berhenti menerima promosi; kirim LANGGANAN untuk menerimanya lagi.' },
        { keyword: 'AKSES', text: 'meminta salinan data terbaru seperti dokumen ini.' },
        {
          keyword: 'BATASI',
          text: 'membatasi pemrosesan data Anda (UU PDP pasal 11); kirim LANJUTKAN untuk mencabutnya.',
        },
        { keyword: 'STATUS', text: 'melihat status permintaan, misalnya "STATUS PR-7K3M9Q".' },
      ],
      contact: 'Pertanyaan tentang data Anda (bagian 7):',
    },
  },
  profileFields: {
    customerNo: 'No. pelanggan',
    name: 'Nama',
    phone: 'Nomor telepon',
    email: 'Email',
    address: 'Alamat',
    area: 'Wilayah layanan',
    paymentMethod: 'Metode pembayaran',
    createdAt: 'Terdaftar sejak',
    updatedAt: 'Terakhir diubah',
    erasedAt: 'Dihapus pada',
  },
  erasedNote:
    'Data pribadi Anda telah dihapus. Yang tersisa hanya yang diperlukan untuk layanan yang telah disepakati.',
  restriction: (scope, since, reason) =>
    `Pemrosesan data Anda dibatasi sejak ${since} atas permintaan Anda (UU PDP pasal 11): ${
      scope === 'all'
        ? 'kami hanya memprosesnya untuk layanan yang sudah disepakati dan kewajiban hukum'
        : 'tidak dipakai untuk pemasaran maupun profil'
    }. Anda tidak menerima promosi dan data Anda tidak diekspor kecuali salinan untuk Anda sendiri seperti dokumen ini.${
      reason ? ` Alasan Anda: "${reason}".` : ''
    } Ketik LANJUTKAN untuk mencabut pembatasan.`,
  orders: {
    summary: (count, total) => `${count} pesanan, total Rp ${total}.`,
    addressNote: 'Alamat pesanan ditampilkan di bawah baris pesanan bila berbeda dari alamat profil.',
    columns: {
      orderNo: 'No. pesanan',
      scheduledAt: 'Jadwal',
      service: 'Layanan',
      status: 'Status',
      amount: 'Jumlah (Rp)',
      payment: 'Pembayaran',
      method: 'Metode',
    },
    address: 'Alamat',
    notes: 'Catatan',
    anonymized: 'Diringkas setelah penghapusan',
  },
  orderStatus: {
    scheduled: 'terjadwal',
    in_progress: 'dikerjakan',
    completed: 'selesai',
    cancelled: 'dibatalkan',
  },
  paymentStatus: { unpaid: 'belum dibayar', paid: 'lunas', refunded: 'dikembalikan' },
  consent: {
    now: (granted, since, source) =>
      `${granted ? 'Anda SETUJU menerima promosi' : 'Anda TIDAK menerima promosi'} sejak ${since} (sumber: ${source}).`,
    columns: { at: 'Waktu', granted: 'Setuju', source: 'Sumber', channel: 'Saluran', words: 'Kata' },
  },
  requests: {
    columns: {
      ref: 'No. permintaan',
      type: 'Jenis',
      status: 'Status',
      createdAt: 'Diajukan',
      dueAt: 'Batas waktu',
      completedAt: 'Selesai',
    },
    decision: 'Keputusan staf',
    outcome: { approved: 'disetujui', rejected: 'ditolak' },
    changedFields: 'Data yang diubah',
  },
  // The one catalogue's words (src/catalogue/labels.ts), as the customer's status reply says them.
  requestType: typeLabels('id'),
  requestStatus: statusLabels('id'),
  thirdParties: {
    columns: { name: 'Penerima', purpose: 'Tujuan', data: 'Data yang dibagikan' },
    note: 'Kami tidak membagikan data Anda kepada pihak lain tanpa izin Anda, kecuali jika diwajibkan oleh hukum (bagian 5).',
  },
  contact: { phone: 'Telepon', email: 'Email', website: 'Situs web' },
  footer: (business, page, pages) => `${business} - data-saya.pdf - halaman ${page} dari ${pages}`,
};

const en: PdfText = {
  intl: 'en-GB',
  documentTitle: 'A Copy of Your Personal Data',
  generatedAt: 'Generated',
  customerNo: 'Customer no.',
  requestRef: 'Request no.',
  timeZoneNote: 'All times in WIB (UTC+7).',
  intro: (business) =>
    `This document holds all the personal data ${business} kept about you when it was generated, ` +
    'under your right of access (Customer Data Policy section 4; Indonesian PDP Law No. 27 of 2022). ' +
    'The same copy in machine-readable form, to take to another service, is in the file data-saya.json.',
  contents: 'Contents',
  explain: { what: 'What it is', why: 'Why we keep it', kept: 'How long' },
  none: 'None.',
  yes: 'yes',
  no: 'no',
  sections: {
    profile: {
      title: 'Profile',
      what: 'What you gave us when ordering a service: name, address, phone number, email and payment method (policy section 1).',
      why: 'To process orders, contact you about the services you ordered and process payments (section 2).',
      kept: 'While you are a customer, until you ask us to delete it (section 4).',
    },
    orders: {
      title: 'Service orders',
      what: 'Every service you ordered: date, kind of service, address, amount and payment status.',
      why: 'To carry out the services agreed and process their payment (section 2).',
      kept:
        'While you are a customer. If you ask for deletion, finished orders keep only the order number, date, ' +
        'service, amount and payment status; orders still open or unpaid are kept until the agreed service is done (section 4).',
    },
    consent: {
      title: 'Marketing consent',
      what: 'Whether you agree to receive promotions and discounts, and the history of every change: when, how and in which words.',
      why: 'Promotions are sent only with your permission (section 2); this history is the proof of your consent.',
      kept: 'While you are a customer. You can withdraw consent at any time (section 4).',
    },
    requests: {
      title: 'Data-rights requests',
      what: 'The requests you made in the chat (access, update, delete, stop promotions) and their status.',
      why: 'To answer your requests in time (3 x 24 hours for access and updates) and record that your rights were met (PDP Law).',
      kept: 'As the record that your rights were met; it holds no personal data beyond what is shown here.',
    },
    thirdParties: {
      title: 'Third parties that receive data',
      what: 'Parties outside our business that may receive some of your data, as named in policy section 5.',
      why: 'Only to process the transactions needed: payment for, and delivery of, the services you order.',
      kept: 'Third parties must follow strict data-protection policies too (section 5).',
    },
    rights: {
      title: 'How to correct or delete your data',
      intro: 'Send these words in this chat (section 4, "Customer rights over personal data"):',
      items: [
        {
          keyword: 'UPDATE (UBAH)',
          text: 'change your name, address, email, payment method or phone number (a new number is verified with a one-time code).',
        },
        {
          keyword: 'DELETE (HAPUS)',
          text: 'delete your personal data. Services already agreed are still honoured: open or unpaid orders are reviewed by staff first.',
        },
        {
          keyword: 'STOP (BERHENTI)',
          text: 'stop promotions; send SUBSCRIBE (LANGGANAN) to receive them again.',
        },
        { keyword: 'ACCESS (AKSES)', text: 'ask for a fresh copy like this one.' },
        {
          keyword: 'RESTRICT (BATASI)',
          text: 'restrict the processing of your data (UU PDP art. 11); send RESUME (LANJUTKAN) to lift it.',
        },
        { keyword: 'STATUS', text: 'see the state of a request, e.g. "STATUS PR-7K3M9Q".' },
      ],
      contact: 'Questions about your data (section 7):',
    },
  },
  profileFields: {
    customerNo: 'Customer no.',
    name: 'Name',
    phone: 'Phone number',
    email: 'Email',
    address: 'Address',
    area: 'Service area',
    paymentMethod: 'Payment method',
    createdAt: 'Customer since',
    updatedAt: 'Last changed',
    erasedAt: 'Deleted on',
  },
  erasedNote: 'Your personal data has been deleted. Only what agreed services need is kept.',
  restriction: (scope, since, reason) =>
    `Processing of your data has been restricted since ${since} at your request (UU PDP art. 11): ${
      scope === 'all'
        ? 'we process it only for services already agreed and legal obligations'
        : 'it is not used for marketing or profiling'
    }. You receive no promotions and your data is not exported except in copies for you, like this one.${
      reason ? ` Your reason: "${reason}".` : ''
    } Type RESUME to lift the restriction.`,
  orders: {
    summary: (count, total) => `${count} orders, total Rp ${total}.`,
    addressNote: "An order's address is shown below its row when it differs from the profile address.",
    columns: {
      orderNo: 'Order no.',
      scheduledAt: 'Scheduled',
      service: 'Service',
      status: 'Status',
      amount: 'Amount (Rp)',
      payment: 'Payment',
      method: 'Method',
    },
    address: 'Address',
    notes: 'Notes',
    anonymized: 'Reduced after deletion',
  },
  orderStatus: {
    scheduled: 'scheduled',
    in_progress: 'in progress',
    completed: 'completed',
    cancelled: 'cancelled',
  },
  paymentStatus: { unpaid: 'unpaid', paid: 'paid', refunded: 'refunded' },
  consent: {
    now: (granted, since, source) =>
      `${granted ? 'You AGREE to receive promotions' : 'You do NOT receive promotions'} since ${since} (source: ${source}).`,
    columns: { at: 'Time', granted: 'Agreed', source: 'Source', channel: 'Channel', words: 'Words' },
  },
  requests: {
    columns: {
      ref: 'Request no.',
      type: 'Type',
      status: 'Status',
      createdAt: 'Made',
      dueAt: 'Due',
      completedAt: 'Finished',
    },
    decision: 'Staff decision',
    outcome: { approved: 'approved', rejected: 'rejected' },
    changedFields: 'Fields changed',
  },
  // The one catalogue's words (src/catalogue/labels.ts), as the customer's status reply says them.
  requestType: typeLabels('en'),
  requestStatus: statusLabels('en'),
  thirdParties: {
    columns: { name: 'Recipient', purpose: 'Purpose', data: 'Data shared' },
    note: 'We do not share your data with anyone else without your permission, unless the law requires it (section 5).',
  },
  contact: { phone: 'Phone', email: 'Email', website: 'Website' },
  footer: (business, page, pages) => `${business} - data-saya.pdf - page ${page} of ${pages}`,
};

export const PDF_TEXT: Record<Locale, PdfText> = { id, en };
