import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Construct } from 'constructs';
import { AWS_REGIONS } from '../functions/shared/aws-facts';

/**
 * One aws provider configuration per region besides the home region, aliased by the region's
 * name, for what the stack declares elsewhere (the copy regions' image-state rules, vendor topic
 * subscriptions). All of them are declared, used or not: Terraform needs a resource's provider
 * to delete it, so a provider that came and went with a recipe's copies would make the apply
 * that stops copying to a region fail ("Provider configuration not present"). Terraform
 * configures only the providers some resource uses, so the unused ones cost nothing.
 */
export class RegionalProviders extends Construct {
  private readonly providers = new Map<string, AwsProvider>();

  constructor(scope: Construct, id: string, props: { home: string; tags: Record<string, string> }) {
    super(scope, id);
    for (const region of AWS_REGIONS) {
      if (region === props.home) continue;
      this.providers.set(
        region,
        new AwsProvider(this, region, { alias: region, region, defaultTags: [{ tags: props.tags }] }),
      );
    }
  }

  /** The provider of a region other than the home region. */
  in(region: string): AwsProvider {
    const provider = this.providers.get(region);
    if (!provider) throw new Error(`no provider for ${region}: the home region's is the stack's default`);
    return provider;
  }
}
