/** The top-level `<item>` elements inside the first `<tag>...</tag>` of an EC2 query response. */
export function topLevelItems(
  xml: string,
  setTag: string,
): { items: string[]; start: number; end: number } | undefined {
  const open = xml.indexOf(`<${setTag}>`);
  const close = xml.lastIndexOf(`</${setTag}>`);
  if (open < 0 || close < 0) return undefined;
  const start = open + setTag.length + 2;
  const body = xml.slice(start, close);
  const items: string[] = [];
  const tag = /<(\/?)item>/g;
  let depth = 0;
  let itemStart = -1;
  for (let match = tag.exec(body); match; match = tag.exec(body)) {
    if (match[1] === '') {
      if (depth === 0) itemStart = match.index;
      depth++;
    } else {
      depth--;
      if (depth === 0) items.push(body.slice(itemStart, match.index + match[0].length));
    }
  }
  return { items, start, end: close };
}

export function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}
