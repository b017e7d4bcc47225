/**
 * Who may receive a customer's data, as the policy names them: kebijakan-data-pelanggan.txt,
 * §5 "Berbagi Data dengan Pihak Ketiga". The policy names kinds of provider, not companies; when
 * the business names its providers, add them here (and nowhere else) so every package says so.
 */

export interface LocalizedText {
  id: string;
  en: string;
}

export interface ThirdPartyRecipient {
  /** Stable, machine-readable. */
  id: 'payment-provider' | 'delivery-provider';
  /** Section of the policy that names this recipient. */
  policySection: '5';
  name: LocalizedText;
  purpose: LocalizedText;
  /** What is shared, in words. */
  dataShared: LocalizedText;
  /** Which fields of this package that covers (names as in data-saya.json). */
  fields: readonly string[];
}

export const THIRD_PARTY_RECIPIENTS: readonly ThirdPartyRecipient[] = [
  {
    // §5: "Penyedia Layanan Pembayaran: Untuk memproses transaksi pembayaran pelanggan …"
    id: 'payment-provider',
    policySection: '5',
    name: { id: 'Penyedia layanan pembayaran', en: 'Payment service providers' },
    purpose: {
      id: 'Memproses transaksi pembayaran layanan yang Anda pesan.',
      en: 'Processing the payment of the services you order.',
    },
    dataShared: {
      id: 'Data kartu kredit atau metode pembayaran lain yang Anda gunakan, dan jumlah yang dibayar.',
      en: 'Your credit card or other payment method details, and the amount paid.',
    },
    fields: ['profile.paymentMethod', 'orders.paymentMethod', 'orders.amount', 'orders.paymentStatus'],
  },
  {
    // §5: "Penyedia Layanan Pengiriman: Kami dapat memberikan data alamat kepada pihak ketiga …"
    id: 'delivery-provider',
    policySection: '5',
    name: { id: 'Penyedia layanan pengiriman', en: 'Delivery service providers' },
    purpose: {
      id: 'Mengantarkan produk atau layanan yang Anda pesan.',
      en: 'Delivering the products or services you order.',
    },
    dataShared: { id: 'Alamat Anda.', en: 'Your address.' },
    fields: ['profile.address', 'orders.address'],
  },
];
