/**
 * The SQL rewriting both warehouse adapters share: the port's `{{table}}` and
 * `@param` forms into each engine's own.
 */
// String literals, quoted identifiers and comments come first so that `{{x}}` and `@x` inside them are left alone.
const SQL_TOKENS =
  /('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(`[^`]*`?)|(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|(?<![@\w$])@([A-Za-z_][A-Za-z0-9_]*)/g;

/** Replacements for rewriteSql; a token without one is left as it is. */
export interface SqlRewrite {
  /** Replacement for `{{name}}`. */
  table?: (name: string) => string;
  /** Replacement for `@name`. */
  param?: (name: string) => string;
  /** Replacement for a `` `backticked` `` identifier (given without the backticks). */
  backticked?: (identifier: string) => string;
}

/**
 * Rewrites `{{table}}`, `@param` and backticked identifiers in SQL, leaving
 * string literals, double-quoted identifiers and comments untouched.
 */
export function rewriteSql(sql: string, rewrite: SqlRewrite): string {
  return sql.replace(SQL_TOKENS, (whole, _single, _double, backtick: string | undefined, _comment, table: string | undefined, param: string | undefined) => {
    if (table !== undefined) return rewrite.table ? rewrite.table(table) : whole;
    if (param !== undefined) return rewrite.param ? rewrite.param(param) : whole;
    if (backtick !== undefined && rewrite.backticked && backtick.endsWith('`') && backtick.length > 1) {
      return rewrite.backticked(backtick.slice(1, -1));
    }
    return whole;
  });
}
