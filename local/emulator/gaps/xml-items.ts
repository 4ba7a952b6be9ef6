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

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** A small XML element tree (EC2's answers: elements and text, no attributes that matter). */
function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '', children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z0-9_:.-]+)[^>]*?(\/?)>|([^<]+)/g;
  for (let m = token.exec(xml); m; m = token.exec(xml)) {
    const top = stack[stack.length - 1] as XmlNode;
    if (m[4] !== undefined) top.text += m[4];
    else if (m[1] === '/') stack.pop();
    else {
      const node: XmlNode = { name: m[2] as string, children: [], text: '' };
      top.children.push(node);
      if (m[3] !== '/') stack.push(node);
    }
  }
  return root;
}

const xmlText = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/**
 * The query parameters that would make the element `tag` of an EC2 answer (such as
 * `launchTemplateData`), under `prefix`: `imageId` becomes `<prefix>.ImageId`, a `fooSet` of
 * `<item>`s `<prefix>.Foo.1...`, a nested element `<prefix>.Bar.Baz`.
 */
export function xmlToQuery(xml: string, tag: string, prefix: string): [string, string][] {
  const find = (node: XmlNode): XmlNode | undefined =>
    node.name === tag ? node : node.children.map(find).find((n) => n !== undefined);
  const element = find(parseXml(xml));
  const params: [string, string][] = [];
  const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
  const walk = (node: XmlNode, path: string) => {
    const items = node.children.filter((c) => c.name === 'item');
    if (items.length > 0 && items.length === node.children.length) {
      const listPath = path.replace(/Set$/, '');
      items.forEach((item, i) => {
        if (item.children.length === 0) params.push([`${listPath}.${i + 1}`, xmlText(item.text.trim())]);
        else for (const child of item.children) walk(child, `${listPath}.${i + 1}.${pascal(child.name)}`);
      });
    } else if (node.children.length > 0) {
      for (const child of node.children) walk(child, `${path}.${pascal(child.name)}`);
    } else {
      params.push([path, xmlText(node.text.trim())]);
    }
  };
  for (const child of element?.children ?? []) walk(child, `${prefix}.${pascal(child.name)}`);
  return params;
}
