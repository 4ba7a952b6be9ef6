import { ATTENTION_ACTIONS as attention } from '../shared/aws/attention';
import { BUILDS_TABLE_ACTIONS as table } from '../shared/aws/builds-table';
import { IMAGES_ACTIONS as images } from '../shared/aws/images';
import { INVOKE_ACTIONS as invoke } from '../shared/aws/invoke';
import { NOTIFICATIONS_ACTIONS as notifications } from '../shared/aws/notifications';
import { OBJECTS_ACTIONS as objects } from '../shared/aws/objects';
import { PARAMETERS_ACTIONS as parameters } from '../shared/aws/parameters';
import { RECIPE_STORE_ACTIONS as store } from '../shared/aws/recipe-store';
import { actionsOf } from '../shared/permissions';

/** Every IAM action ami_build_trigger calls, for the recipe store in use. */
export function triggerActions(recipeStore: 's3' | 'dynamodb'): string[] {
  return actionsOf(
    store[recipeStore],
    images.describeCandidates,
    images.describeImagesById,
    parameters.getParameterValues,
    objects.readObject,
    table.latestStatuses,
    table.recordBuildStart,
    table.finishBuild,
    attention.listAttention,
    attention.recordAttention,
    attention.clearAttention,
    invoke.invokeAsync,
    notifications.publishNotification,
  );
}
