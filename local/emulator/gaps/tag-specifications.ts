/**
 * Takes the TagSpecifications of the given resource types out of an EC2 query request (moto
 * ignores or refuses some), returning the rest of the request and the tags by resource type.
 */
export function takeTagSpecifications(
  form: URLSearchParams,
  types: ReadonlySet<string>,
): { kept: URLSearchParams; tags: Map<string, [string, string][]> } {
  const typeOf = new Map<string, string>();
  for (const [key, value] of form) {
    const spec = /^TagSpecification\.(\d+)\.ResourceType$/.exec(key);
    if (spec?.[1] && types.has(value)) typeOf.set(spec[1], value);
  }
  const kept = new URLSearchParams();
  const tags = new Map<string, [string, string][]>();
  for (const [key, value] of form) {
    const spec = /^TagSpecification\.(\d+)\.(.*)$/.exec(key);
    const type = spec?.[1] ? typeOf.get(spec[1]) : undefined;
    if (!spec || !type) {
      kept.append(key, value);
      continue;
    }
    const tag = /^Tag\.(\d+)\.Key$/.exec(spec[2] ?? '');
    if (tag) {
      const list = tags.get(type) ?? [];
      list.push([value, form.get(`TagSpecification.${spec[1]}.Tag.${tag[1]}.Value`) ?? '']);
      tags.set(type, list);
    }
  }
  return { kept, tags };
}

/** A CreateTags request for the resources. */
export function createTagsForm(
  version: string,
  resourceIds: readonly string[],
  tags: readonly [string, string][],
): URLSearchParams {
  const form = new URLSearchParams({ Action: 'CreateTags', Version: version });
  resourceIds.forEach((id, i) => {
    form.append(`ResourceId.${i + 1}`, id);
  });
  tags.forEach(([key, value], i) => {
    form.append(`Tag.${i + 1}.Key`, key);
    form.append(`Tag.${i + 1}.Value`, value);
  });
  return form;
}
