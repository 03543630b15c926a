// Name patterns for capture rules: `*` matches any run of characters (also `:` and `/`), `?` one character,
// everything else itself. A pattern without either is an exact name. Pure.

export type NameMatcher = (name: string) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression (anchored, RE2-compatible) a glob stands for. */
export function globToRegExpSource(glob: string): string {
  return `^${escapeRegExp(glob).replace(/\*/g, '.*').replace(/\?/g, '.')}$`;
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** One matcher for a list of patterns: true when any matches. */
export function compileNames(patterns: readonly string[]): NameMatcher {
  const exact = new Set(patterns.filter((pattern) => !isGlob(pattern)));
  const globs = patterns.filter(isGlob).map((pattern) => new RegExp(globToRegExpSource(pattern), 's'));
  if (globs.length === 0) return (name) => exact.has(name);
  return (name) => exact.has(name) || globs.some((glob) => glob.test(name));
}
