/**
 * The demo tenant: deterministic, so `hakdata seed` is idempotent and tests can name customers.
 * Names, streets and areas are ordinary Jabodetabek ones; phones are valid Indonesian mobiles
 * that belong to nobody we know of (except the policy's own contact number, on purpose).
 */

export interface DemoCustomer {
  customerNo: string;
  name: string;
  phone: string;
  email: string;
  address: string;
  area: string;
  paymentMethod: string;
  marketing: boolean;
}

export interface DemoOrder {
  orderNo: string;
  customerNo: string;
  service: string;
  status: 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
  /** Days from the seed date (negative: past). */
  dayOffset: number;
  amount: number;
  paymentStatus: 'unpaid' | 'paid' | 'refunded';
}

export const SERVICES = ['sedot WC', 'pembersihan saluran', 'perawatan septic tank'] as const;
const PRICES: Record<(typeof SERVICES)[number], number> = {
  'sedot WC': 350_000,
  'pembersihan saluran': 250_000,
  'perawatan septic tank': 500_000,
};

const FIRST = [
  'Siti',
  'Budi',
  'Dewi',
  'Agus',
  'Rina',
  'Joko',
  'Ayu',
  'Hendra',
  'Fitri',
  'Bambang',
  'Wulan',
  'Eko',
  'Sri',
  'Rudi',
  'Lestari',
  'Andi',
  'Nur',
  'Yusuf',
  'Indah',
  'Dedi',
  'Ratna',
  'Teguh',
  'Maya',
  'Arif',
  'Putri',
];
const LAST = [
  'Wulandari',
  'Santoso',
  'Lestari',
  'Pratama',
  'Hidayat',
  'Saputra',
  'Kurniawan',
  'Wijaya',
  'Rahmawati',
  'Setiawan',
  'Nugroho',
  'Permata',
  'Siregar',
  'Gunawan',
  'Susanti',
  'Harahap',
  'Purnomo',
  'Simanjuntak',
  'Utami',
  'Hakim',
];
const STREETS = [
  'Jl. Kemang Raya',
  'Jl. Raya Bogor',
  'Jl. Margonda Raya',
  'Jl. Ahmad Yani',
  'Jl. Cempaka Putih Tengah',
  'Jl. Pahlawan Revolusi',
  'Jl. Kalimalang',
  'Jl. Daan Mogot',
  'Jl. Fatmawati',
  'Jl. Raya Serpong',
];
const AREAS = [
  { area: 'Jakarta Selatan', city: 'Jakarta Selatan 12730' },
  { area: 'Jakarta Timur', city: 'Jakarta Timur 13750' },
  { area: 'Depok', city: 'Depok 16424' },
  { area: 'Bekasi', city: 'Bekasi 17141' },
  { area: 'Jakarta Pusat', city: 'Jakarta Pusat 10510' },
  { area: 'Tangerang Selatan', city: 'Tangerang Selatan 15310' },
];
const PAYMENTS = ['transfer BCA', 'transfer Mandiri', 'GoPay', 'OVO', 'QRIS', 'tunai'];
const PREFIXES = ['812', '813', '821', '822', '852', '856', '857', '878', '881', '895'];

/** Small deterministic PRNG (mulberry32): the same demo data on every machine. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const slug = (s: string) => s.toLowerCase().replace(/[^a-z]+/g, '');

function buildCustomers(): DemoCustomer[] {
  const rand = prng(27_2022);
  const customers: DemoCustomer[] = [
    {
      // The policy's own contact number: the main demo customer, no open order, so a deletion
      // goes straight through.
      customerNo: 'SJ-000001',
      name: 'Siti Wulandari',
      phone: '+6281287611943',
      email: 'siti.wulandari@contoh.id',
      address: 'Jl. Kemang Raya No. 12, Jakarta Selatan 12730',
      area: 'Jakarta Selatan',
      paymentMethod: 'transfer BCA',
      marketing: true,
    },
    {
      // Has an open, unpaid order: a deletion request goes to staff.
      customerNo: 'SJ-000002',
      name: 'Budi Santoso',
      phone: '+6281311112222',
      email: 'budi.santoso@contoh.id',
      address: 'Jl. Margonda Raya No. 45, Depok 16424',
      area: 'Depok',
      paymentMethod: 'GoPay',
      marketing: false,
    },
  ];
  const usedNames = new Set(customers.map((c) => c.name));
  for (let i = customers.length + 1; customers.length < 50; i++) {
    let name = `${pick(rand, FIRST)} ${pick(rand, LAST)}`;
    while (usedNames.has(name)) name = `${pick(rand, FIRST)} ${pick(rand, LAST)}`;
    usedNames.add(name);
    const where = pick(rand, AREAS);
    const digits = String(10_000_000 + Math.floor(rand() * 89_999_999));
    const [first = '', last = ''] = name.split(' ');
    customers.push({
      customerNo: `SJ-${String(i).padStart(6, '0')}`,
      name,
      phone: `+62${pick(rand, PREFIXES)}${digits}`,
      email: `${slug(first)}.${slug(last)}${i}@contoh.id`,
      address: `${pick(rand, STREETS)} No. ${1 + Math.floor(rand() * 150)}, ${where.city}`,
      area: where.area,
      paymentMethod: pick(rand, PAYMENTS),
      marketing: rand() < 0.55,
    });
  }
  return customers;
}

function buildOrders(customers: DemoCustomer[]): DemoOrder[] {
  const rand = prng(31_2024);
  const orders: DemoOrder[] = [];
  let n = 1;
  const add = (c: DemoCustomer, o: Omit<DemoOrder, 'orderNo' | 'customerNo'>) =>
    orders.push({ orderNo: `SO-2026-${String(n++).padStart(5, '0')}`, customerNo: c.customerNo, ...o });
  const [siti, budi] = customers;
  if (siti)
    add(siti, {
      service: 'sedot WC',
      status: 'completed',
      dayOffset: -40,
      amount: 350_000,
      paymentStatus: 'paid',
    });
  if (budi) {
    add(budi, {
      service: 'pembersihan saluran',
      status: 'completed',
      dayOffset: -90,
      amount: 250_000,
      paymentStatus: 'paid',
    });
    add(budi, {
      service: 'perawatan septic tank',
      status: 'scheduled',
      dayOffset: 3,
      amount: 500_000,
      paymentStatus: 'unpaid',
    });
  }
  for (const c of customers.slice(2)) {
    const count = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const service = pick(rand, SERVICES);
      const roll = rand();
      const status: DemoOrder['status'] =
        roll < 0.6 ? 'completed' : roll < 0.75 ? 'scheduled' : roll < 0.85 ? 'in_progress' : 'cancelled';
      const paymentStatus: DemoOrder['paymentStatus'] =
        status === 'cancelled'
          ? rand() < 0.5
            ? 'refunded'
            : 'unpaid'
          : status === 'completed' && rand() < 0.85
            ? 'paid'
            : 'unpaid';
      const dayOffset =
        status === 'scheduled'
          ? 1 + Math.floor(rand() * 14)
          : status === 'in_progress'
            ? 0
            : -Math.floor(5 + rand() * 300);
      add(c, {
        service,
        status,
        dayOffset,
        amount: PRICES[service] + Math.floor(rand() * 4) * 50_000,
        paymentStatus,
      });
    }
  }
  return orders;
}

export const demoCustomers: readonly DemoCustomer[] = buildCustomers();
export const demoOrders: readonly DemoOrder[] = buildOrders(demoCustomers as DemoCustomer[]);
