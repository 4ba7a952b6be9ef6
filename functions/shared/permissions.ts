/** The IAM actions a function calls, gathered from the adapters it uses. */
export function actionsOf(...groups: readonly (readonly string[])[]): string[] {
  return [...new Set(groups.flat())].sort();
}
