import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderUserData } from '../../functions/ami-ec2-instance-create/launch-build';
import { createPresigner } from '../../functions/shared/aws/clients';
import { getText } from '../../functions/shared/aws/objects';
import { newBuildId } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { scriptObject, scriptUri } from '../../functions/shared/recipe';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import type { StackContext } from '../context';
import { findRecipe } from './recipes';

/**
 * The user data a build of the recipe would get now: the deployed script in the wrapper, with
 * real pre-signed URLs for a sample build id (signing calls nothing; nothing is uploaded).
 */
export async function render(
  ctx: StackContext,
  recipeName: string | undefined,
): Promise<{ userData: string; mode: string; text: string }> {
  const recipe = await findRecipe(ctx, recipeName);
  const script = await getText(ctx.clients.s3, scriptObject(recipe.script));
  if (script === undefined) {
    throw new AmiBakeError(`the script of "${recipe.name}" (${scriptUri(recipe.script)}) does not exist`, {
      code: 'ScriptNotFound',
    });
  }
  const wrapperTemplate = readFileSync(join(PROJECT_ROOT, 'user_data', 'wrapper.sh'), 'utf-8');
  const { userData, mode } = await renderUserData(
    { s3: ctx.clients.s3, presigner: createPresigner() },
    { bucket: ctx.bucket, logPrefix: ctx.names.logPrefix, wrapperTemplate },
    { buildId: newBuildId(recipe.name, new Date(), '000000'), recipe },
    script,
    { upload: false },
  );
  return { userData, mode, text: userData.trimEnd() };
}
