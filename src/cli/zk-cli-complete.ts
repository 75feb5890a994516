/**
 * Tab completion for the interactive shell, as zkCli's JLineZNodeCompleter does it: the first
 * word completes to a command name; a later word that starts with `/` completes to the children
 * of its parent znode (asked with getChildren), other words to nothing. Pure but for the
 * `listChildren` it is given, so it is tested without a server.
 */

/** Candidates offered at most: a parent with a million children must not flood the terminal. */
export const COMPLETIONS_MAX = 1_000;

/** Lists a znode's children; rejects (or resolves empty) when it cannot. */
export type ListChildren = (path: string) => Promise<string[]>;

/** node:readline's completer result: the candidates, and the text they replace. */
export type Completion = [string[], string];

/** The word under the cursor (after the last blank) and whether it is the command word. */
export function currentWord(line: string): { word: string; isCommand: boolean } {
  const start = Math.max(line.lastIndexOf(' '), line.lastIndexOf('\t')) + 1;
  return { word: line.slice(start), isCommand: line.slice(0, start).trim() === '' };
}

/** `/a/b/pre` splits into parent `/a/b` and prefix `pre`; `/pre` into `/` and `pre`. */
export function splitZnodePath(word: string): { parent: string; prefix: string } {
  const slash = word.lastIndexOf('/');
  return { parent: slash <= 0 ? '/' : word.slice(0, slash), prefix: word.slice(slash + 1) };
}

/**
 * Completes `line` (the text left of the cursor). Command words complete against
 * `commandNames`; a word starting with `/` against the children of its parent, as full paths.
 * Failures of `listChildren` (no node, no connection, no permission) offer nothing.
 */
export async function completeLine(line: string, commandNames: readonly string[], listChildren: ListChildren): Promise<Completion> {
  const { word, isCommand } = currentWord(line);
  if (isCommand) {
    return [[...new Set(commandNames)].filter((name) => name.startsWith(word)).sort(), word];
  }
  if (!word.startsWith('/')) return [[], word];
  const { parent, prefix } = splitZnodePath(word);
  let children: string[];
  try {
    children = await listChildren(parent);
  } catch {
    return [[], word];
  }
  const base = parent === '/' ? '/' : `${parent}/`;
  const hits = children
    .filter((child) => child.startsWith(prefix))
    .sort()
    .slice(0, COMPLETIONS_MAX)
    .map((child) => base + child);
  return [hits, word];
}
