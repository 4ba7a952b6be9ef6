import type { InputTransformer } from '@aws-sdk/client-eventbridge';

/** What a target receives: the constant Input, the InputPath part, the transformed event, or the event. */
export function targetInput(
  target: {
    Input?: string | undefined;
    InputPath?: string | undefined;
    InputTransformer?: InputTransformer | undefined;
  },
  event: object,
): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return jsonPath(event, target.InputPath);
  if (target.InputTransformer) return transform(target.InputTransformer, event);
  return event;
}

/** Applies InputPathsMap + InputTemplate: a placeholder in quotes takes the raw string value. */
export function transform(transformer: InputTransformer, event: object): unknown {
  const values = Object.fromEntries(
    Object.entries(transformer.InputPathsMap ?? {}).map(([name, path]) => [name, jsonPath(event, path)]),
  );
  const text = (transformer.InputTemplate ?? '').replace(
    /("?)<([A-Za-z0-9_.-]+)>("?)/g,
    (match, open: string, name: string, close: string) => {
      if (!(name in values)) return match;
      const value = values[name];
      if (open && close && typeof value === 'string') return JSON.stringify(value);
      return `${open}${value === undefined ? 'null' : typeof value === 'string' ? value : JSON.stringify(value)}${close}`;
    },
  );
  return JSON.parse(text);
}

function jsonPath(event: object, path: string): unknown {
  if (path === '$') return event;
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
      event,
    );
}
