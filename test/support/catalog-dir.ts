/**
 * A saved-query catalog for tests: the shipped one copied to a temporary folder, plus `customer-count`, one
 * query whose value a test controls (how many customers there are: insert or delete one to make an alert on
 * it go off or stop).
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The folder's path; the caller removes it. */
export async function catalogWithCustomerCount(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await cp(new URL('../../queries', import.meta.url).pathname, dir, { recursive: true });
  await writeFile(path.join(dir, 'customer-count.sql'), `/*
name: customer-count
title: Customers
description: How many customers there are.
owner: "@analytics"
ttl: 1s
display: { type: bar, x: label, y: customers }
*/
SELECT 'all' AS label, COUNT(*) AS customers FROM {{customers}}
`);
  return dir;
}
