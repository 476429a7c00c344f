/**
 * The customer list, read from the warehouse once and shared by every use case
 * that matches customer names (`/telemetry`, `/query`'s customer parameter).
 * Reused for `ttlMs`; after that the old list keeps serving while a new one loads.
 */
import type { Logger } from '../logger.js';
import type { Row, Warehouse } from '../ports/warehouse.js';
import { CustomerIndex } from '../domain/customer-match.js';

const CUSTOMERS_SQL = `SELECT customer_id, name, aliases, domain FROM {{customers}}`;

const str = (v: Row[string] | undefined): string => (v === null || v === undefined ? '' : String(v));

export interface CustomerListOptions {
  warehouse: Warehouse;
  logger: Logger;
  /** How long a loaded list is reused before it is read again. Default 10 minutes. */
  ttlMs?: number;
}

export class CustomerList {
  private index: CustomerIndex | null = null;
  private loadedAt = 0;
  private loading: Promise<CustomerIndex> | null = null;
  private readonly ttl: number;

  constructor(private readonly opts: CustomerListOptions) {
    this.ttl = opts.ttlMs ?? 10 * 60_000;
  }

  /** True once a list is loaded (even one due for a reload): {@link current} then answers without the warehouse. */
  get loaded(): boolean {
    return this.index !== null;
  }

  /** The current index; the first call (or one after a failed load) waits for the warehouse. */
  async current(): Promise<CustomerIndex> {
    if (this.index && Date.now() - this.loadedAt < this.ttl) return this.index;
    if (this.index) {
      void this.load().catch((err) => this.opts.logger.warn('customer list refresh failed', { err }));
      return this.index;
    }
    return this.load();
  }

  private load(): Promise<CustomerIndex> {
    this.loading ??= (async () => {
      try {
        const { rows } = await this.opts.warehouse.query(CUSTOMERS_SQL, {}, { labels: { purpose: 'customer-list' } });
        this.index = new CustomerIndex(
          rows.map((r) => ({
            customerId: str(r.customer_id),
            name: str(r.name),
            aliases: str(r.aliases).split('|').map((a) => a.trim()).filter(Boolean),
            domain: str(r.domain) || null,
          })),
        );
        this.loadedAt = Date.now();
        return this.index;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
