import { makeUniqueId } from 'cdktf/lib/private/unique';

/**
 * Terraform addresses a reviewer can read: the construct path inside the stack joined by `_`,
 * with every character Terraform does not allow in a name as `_`
 * (`aws_lambda_function.ami_build_trigger_function`), never a hash suffix. Two paths that would
 * read the same are refused at synth.
 */
export function readableName(components: readonly string[]): string {
  const parts = components.filter((c, i) => c !== 'Default' && c !== components[i - 1]);
  const name = parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/** The name cdktf gave the same path before (`<path>_<8 hex>`), for the `moved` blocks of an upgrade. */
function hashedName(components: readonly string[]): string {
  return makeUniqueId([...components]);
}

/**
 * `moved` blocks from every earlier address of a resource to its readable one: its hashed
 * address or, for a construct whose id changed (`earlierPath` gives its earlier path), that
 * path's readable address, itself moved from that path's hashed one. Terraform then renames the resources of a stack
 * deployed before instead of replacing them. A block whose `from` is not in the state does
 * nothing.
 */
export function movedBlocks(
  resources: Record<string, Record<string, unknown>>,
  pathOf: (type: string, name: string) => readonly string[] | undefined,
  earlierPath: (path: readonly string[]) => readonly string[] | undefined = () => undefined,
): { from: string; to: string }[] {
  const moved: { from: string; to: string }[] = [];
  for (const [type, byName] of Object.entries(resources)) {
    for (const name of Object.keys(byName)) {
      const path = pathOf(type, name);
      if (!path) continue;
      const earlier = earlierPath(path);
      if (!earlier) {
        const old = hashedName(path);
        if (old !== name) moved.push({ from: `${type}.${old}`, to: `${type}.${name}` });
        continue;
      }
      // Terraform takes one source per resource, and follows a chain: the earlier hashed
      // address to the earlier readable one, and that to this one.
      const readable = readableName(earlier);
      moved.push({ from: `${type}.${hashedName(earlier)}`, to: `${type}.${readable}` });
      moved.push({ from: `${type}.${readable}`, to: `${type}.${name}` });
    }
  }
  return moved.sort((a, b) => a.to.localeCompare(b.to) || a.from.localeCompare(b.from));
}
