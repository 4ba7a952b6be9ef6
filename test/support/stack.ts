import { Testing } from 'cdktf';
import { config as sampleConfig } from '../../amibake.config';
import type { AmiBakeConfig, RecipeConfig } from '../../deployment/config';
import { AmiBakeStack } from '../../infra/stack';
import { builtBundles, PROJECT_ROOT } from '../../scripts/bundle-functions';

export interface Synthesized {
  /** The Terraform JSON as `Testing.synth` gives it, for `Testing.toHave*`. */
  json: string;
  /** The same, parsed, for reading one resource. */
  tf: TerraformJson;
}

export interface TerraformJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: string }>;
  provider: Record<string, Record<string, unknown>[]>;
  terraform: Record<string, unknown>;
}

/** Declares the stack for `config` with the built bundles and synthesizes it in memory. */
export function synthStack(config: AmiBakeConfig, projectRoot = PROJECT_ROOT): Synthesized {
  const app = Testing.app();
  const stack = new AmiBakeStack(app, config.namePrefix, {
    config,
    projectRoot,
    bundles: builtBundles(),
  });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as TerraformJson };
}

/** The sample configuration with other recipes and settings. */
export function stackConfig(overrides: Partial<AmiBakeConfig> = {}, recipes?: RecipeConfig[]): AmiBakeConfig {
  return { ...sampleConfig, ...overrides, recipes: recipes ?? sampleConfig.recipes };
}

/** The only resource of a type (fails when there is not exactly one). */
export function onlyResource(tf: TerraformJson, type: string): Record<string, unknown> {
  const all = Object.values(tf.resource[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Record<string, unknown>;
}

/** The resources of a type, by a property's value (such as function_name). */
export function resourcesBy(
  tf: TerraformJson,
  type: string,
  key: string,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.values(tf.resource[type] ?? {}).map((r) => [String(r[key]), r]));
}

/**
 * A Terraform reference to the attribute of the one resource of a type whose property has a
 * value (`${aws_lambda_function.<address>.arn}`): asserts a link without naming generated addresses.
 */
export function refTo(
  tf: TerraformJson,
  type: string,
  property: string,
  value: string,
  attribute: string,
): string {
  return `\${${addressOf(tf, type, property, value)}.${attribute}}`;
}

/** `type.name` of the one resource of a type whose property has a value. */
export function addressOf(tf: TerraformJson, type: string, property: string, value: string): string {
  const names = Object.entries(tf.resource[type] ?? {})
    .filter(([, body]) => body[property] === value)
    .map(([name]) => name);
  if (names.length !== 1)
    throw new Error(`expected one ${type} with ${property} = ${value}, found ${names.length}`);
  return `${type}.${names[0]}`;
}
