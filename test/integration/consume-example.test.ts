import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { candidateMirrors, mirroredVersions, PLUGIN_DIR_SETTING } from '../../local/deploy/provider-source';
import { terraform } from '../../local/deploy/terraform';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';

/** The README's HCL for consuming the image, checked by Terraform itself. */
describe('the example that consumes the golden image from Terraform', function () {
  this.timeout(120_000);

  it('passes terraform validate with the hashicorp/aws provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'amibake-consume-'));
    try {
      cpSync(join(PROJECT_ROOT, 'examples', 'consume-image', 'main.tf'), join(dir, 'main.tf'));
      const mirror =
        process.env[PLUGIN_DIR_SETTING] ?? candidateMirrors().find((m) => mirroredVersions(m).length > 0);
      await terraform(dir, [
        'init',
        '-no-color',
        '-backend=false',
        ...(mirror ? [`-plugin-dir=${mirror}`] : []),
      ]);
      const validated = await terraform(dir, ['validate', '-no-color', '-json']);
      const result = JSON.parse(validated.stdout) as { valid: boolean; diagnostics: unknown[] };
      expect(result).to.deep.include({ valid: true, diagnostics: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
