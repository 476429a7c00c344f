/**
 * vitest setup file: after every test, a request that a vendor fake's spec
 * refuses (or that matches no operation in the facts) fails that test.
 */
import { afterEach } from 'vitest';
import { assertNoVendorViolations } from './spec.js';

afterEach(() => {
  assertNoVendorViolations();
});
