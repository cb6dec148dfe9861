/**
 * The demo distributor's master data: Keystone Industrial Supply, a distributor of fasteners,
 * electrical, plumbing, safety and packaging products, with three DCs, B2B customers in the US and
 * Canada, and five suppliers — one of them (Northwind Fasteners) far noisier than the rest.
 */

export interface Customer {
	id: string;
	name: string;
	country: 'US' | 'CA';
	currency: 'USD' | 'CAD';
	taxJurisdiction: string;
	shipTo: { id: string; city: string; region: string; postalCode: string }[];
	/** a customer the credit team has put on hold: its orders fail validation */
	creditHold?: boolean;
}

export interface Item {
	sku: string;
	description: string;
	uom: string;
	/** other units customers order in, convertible to the base UOM */
	altUoms: string[];
	price: number;
	supplier: string;
	/** false: shipped by the supplier straight to the customer (drop-ship) */
	stocked: boolean;
	gtin: string;
}

export interface Supplier {
	id: string;
	partner: string;
	name: string;
	/** how badly this partner behaves, 1 = typical */
	noise: number;
}

export const COMPANY = 'Keystone Industrial Supply';
export const WAREHOUSES = ['DC-CHI', 'DC-ATL', 'DC-DAL'] as const;

export const SUPPLIERS: Supplier[] = [
	{ id: 'V-20010', partner: 'supplier:acme', name: 'Acme Industrial Products', noise: 1 },
	{ id: 'V-20027', partner: 'supplier:northwind', name: 'Northwind Fasteners', noise: 6 },
	{ id: 'V-20031', partner: 'supplier:globex', name: 'Globex Electrical', noise: 1 },
	{ id: 'V-20044', partner: 'supplier:initech', name: 'Initech Safety', noise: 1.5 },
	{ id: 'V-20058', partner: 'supplier:pinnacle', name: 'Pinnacle Packaging', noise: 0.8 }
];

export const supplierById = (id: string): Supplier => SUPPLIERS.find((s) => s.id === id) ?? SUPPLIERS[0];

const us = (id: string, name: string, city: string, region: string, zip: string, taxJurisdiction: string, extra: Partial<Customer> = {}): Customer => ({
	id,
	name,
	country: 'US',
	currency: 'USD',
	taxJurisdiction,
	shipTo: [
		{ id: `${id}-01`, city, region, postalCode: zip },
		{ id: `${id}-02`, city, region, postalCode: zip.replace(/\d$/, (d) => String((Number(d) + 3) % 10)) }
	],
	...extra
});

export const CUSTOMERS: Customer[] = [
	us('C-10042', 'Midwest Mechanical Contractors', 'Naperville', 'IL', '60563', 'US-IL-DUPAGE'),
	us('C-10057', 'Summit Facilities Group', 'Columbus', 'OH', '43215', 'US-OH-FRANKLIN'),
	us('C-10063', 'Lakeside Plumbing & Heating', 'Milwaukee', 'WI', '53202', 'US-WI-MILWAUKEE'),
	us('C-10078', 'Redwood Electric Co.', 'Sacramento', 'CA', '95814', 'US-CA-SACRAMENTO'),
	us('C-10081', 'Cascade HVAC Services', 'Tacoma', 'WA', '98402', 'US-WA-PIERCE'),
	us('C-10095', 'Bluegrass Construction', 'Lexington', 'KY', '40507', 'US-KY-FAYETTE'),
	us('C-10102', 'Metro Maintenance Supply', 'Atlanta', 'GA', '30303', 'US-GA-FULTON'),
	us('C-10117', 'Ironclad Industrial Services', 'Houston', 'TX', '77002', 'US-TX-HARRIS'),
	us('C-10124', 'Prairie Ag Cooperative', 'Ames', 'IA', '50010', 'US-IA-STORY', { creditHold: true }),
	us('C-10139', 'Granite State Builders', 'Manchester', 'NH', '03101', 'US-NH-HILLSBOROUGH'),
	us('C-10146', 'Gulf Coast Marine Outfitters', 'Mobile', 'AL', '36602', 'US-AL-MOBILE'),
	us('C-10153', 'Front Range Property Services', 'Denver', 'CO', '80202', 'US-CO-DENVER'),
	{
		id: 'C-10168',
		name: 'Northern Lights Mechanical Ltd.',
		country: 'CA',
		currency: 'CAD',
		taxJurisdiction: 'CA-ON',
		shipTo: [
			{ id: 'C-10168-01', city: 'Toronto', region: 'ON', postalCode: 'M5V 2T6' },
			{ id: 'C-10168-02', city: 'Hamilton', region: 'ON', postalCode: 'L8P 4R5' }
		]
	},
	{
		id: 'C-10172',
		name: 'Maple Leaf Facility Care Inc.',
		country: 'CA',
		currency: 'CAD',
		taxJurisdiction: 'CA-BC',
		shipTo: [
			{ id: 'C-10172-01', city: 'Vancouver', region: 'BC', postalCode: 'V6B 1A1' },
			{ id: 'C-10172-02', city: 'Burnaby', region: 'BC', postalCode: 'V5H 4M2' }
		]
	}
];

/** Ship-to postal codes the tax engine has no jurisdiction for (new construction sites). */
export const UNMAPPED_SHIP_TO = { id: 'SITE-NEW', city: 'Frisco', region: 'TX', postalCode: '75036' };

const item = (sku: string, description: string, uom: string, altUoms: string[], price: number, supplier: string, stocked = true): Item => ({
	sku,
	description,
	uom,
	altUoms,
	price,
	supplier,
	stocked,
	gtin: gtin(sku)
});

export const ITEMS: Item[] = [
	item('FAS-10234', 'Hex bolt 3/8-16 x 1-1/2 in, zinc, box of 100', 'BX', ['CS'], 18.4, 'V-20027'),
	item('FAS-10251', 'Flange nut 1/2-13, grade 5, box of 50', 'BX', ['CS'], 14.75, 'V-20027'),
	item('FAS-11020', 'Stainless lag screw 5/16 x 3 in, box of 50', 'BX', ['CS'], 31.2, 'V-20027'),
	item('FAS-12007', 'Concrete anchor kit 1/2 in, case of 25', 'CS', [], 142.0, 'V-20027', false),
	item('ELE-20415', 'THHN wire 12 AWG, 500 ft spool', 'EA', [], 96.5, 'V-20031'),
	item('ELE-20482', 'LED high bay 150 W, 5000 K', 'EA', ['CS'], 189.0, 'V-20031'),
	item('ELE-21105', 'Panelboard 200 A, 42 circuit', 'EA', [], 1240.0, 'V-20031', false),
	item('ELE-21330', 'Dry-type transformer 75 kVA', 'EA', [], 6850.0, 'V-20031', false),
	item('PLB-30077', 'PEX-A tubing 3/4 in x 300 ft', 'RL', [], 214.0, 'V-20010'),
	item('PLB-30112', 'Ball valve 1 in, lead-free brass', 'EA', ['BX'], 27.9, 'V-20010'),
	item('PLB-31040', 'Commercial water heater 100 gal', 'EA', [], 4375.0, 'V-20010', false),
	item('HVC-40021', 'Pleated filter 20x25x2 MERV 13, case of 12', 'CS', [], 88.0, 'V-20010'),
	item('HVC-41008', 'Rooftop unit 10 ton, gas/electric', 'EA', [], 14900.0, 'V-20010', false),
	item('SAF-50119', 'Nitrile gloves, large, case of 1000', 'CS', ['BX'], 74.5, 'V-20044'),
	item('SAF-50204', 'Hard hat, type II, white', 'EA', ['CS'], 23.8, 'V-20044'),
	item('SAF-50388', 'Safety harness, full body, class A', 'EA', [], 129.0, 'V-20044'),
	item('PKG-60012', 'Stretch film 18 in x 1500 ft, case of 4', 'CS', [], 66.0, 'V-20058'),
	item('PKG-60045', 'Corrugated box 18x12x12, bundle of 25', 'BDL', [], 31.5, 'V-20058'),
	item('PKG-60090', 'Pallet wrap machine, semi-automatic', 'EA', [], 8200.0, 'V-20058', false)
];

export const itemBySku = (sku: string): Item | undefined => ITEMS.find((i) => i.sku === sku);

/** A GTIN-14 with a valid check digit, derived from the SKU. */
export function gtin(sku: string): string {
	const digits = sku.replace(/\D/g, '').padStart(5, '0');
	const body = `1008437${digits}`.slice(0, 13).padEnd(13, '0');
	return body + gtinCheckDigit(body);
}

/** The GS1 mod-10 check digit (GTIN, SSCC): weights 3 and 1 alternating from the right. */
export function gtinCheckDigit(body: string): string {
	let sum = 0;
	for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
	return String((10 - (sum % 10)) % 10);
}

/** An SSCC-18 pallet label: extension digit, our GS1 company prefix, a serial, the check digit. */
export function sscc(serial: number): string {
	const body = `00843700${String(serial).padStart(9, '0')}`;
	return body + gtinCheckDigit(body);
}

export function validGtin(g: string): boolean {
	return /^\d{14}$/.test(g) && gtinCheckDigit(g.slice(0, 13)) === g[13];
}
