/**
 * The keys a JSON object's text names more than once at its top level. JSON.parse keeps the last
 * of duplicates silently, so a log line whose field shadows a base field (`thread`, `pid`, …)
 * parses fine and lies; this reads the text itself.
 */
export function duplicateKeys(text: string): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) dup.push(key);
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return dup;
}
