/** java.util.Properties text format: comments, `key=value`, `key: value`, `key value`, continuations. */
export interface PropertyLine {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export function parseProperties(text: string): PropertyLine[] {
  const out: PropertyLine[] = [];
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i]!.replace(/^\s+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const match = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)$/.exec(logical);
    if (match === null) continue;
    out.push({ key: unescape(match[1]!).trim(), value: unescape(match[2]!).trim(), line: start });
  }
  return out;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}
