/** A JSON object as parsed: not null, not an array; its fields are checked where they are read. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
