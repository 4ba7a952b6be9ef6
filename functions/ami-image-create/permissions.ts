import { BUILD_QUERIES_ACTIONS as queries } from '../shared/aws/build-queries';
import { BUILD_RULE_ACTIONS as rule } from '../shared/aws/build-rule';
import { BUILDS_TABLE_ACTIONS as table } from '../shared/aws/builds-table';
import { CONSUMERS_ACTIONS as consumers } from '../shared/aws/consumers';
import { DISTRIBUTION_ACTIONS as distribution } from '../shared/aws/distribution';
import { IMAGES_ACTIONS as images } from '../shared/aws/images';
import { INSTANCES_ACTIONS as instances } from '../shared/aws/instances';
import { INVOKE_ACTIONS as invoke } from '../shared/aws/invoke';
import { NOTIFICATIONS_ACTIONS as notifications } from '../shared/aws/notifications';
import { OBJECTS_ACTIONS as objects } from '../shared/aws/objects';
import { PARAMETERS_ACTIONS as parameters } from '../shared/aws/parameters';
import { RETENTION_ACTIONS as retention } from '../shared/aws/retention';
import { actionsOf } from '../shared/permissions';

/** Every IAM action ami_image_create calls. */
export const IMAGE_CREATE_ACTIONS = actionsOf(
  table.getBuild,
  table.updateBuild,
  table.finishBuild,
  instances.describeInstance,
  instances.consoleOutput,
  instances.serialConsoleAccess,
  instances.terminateInstance,
  objects.getText,
  images.findImagesByTag,
  images.findImageByName,
  images.createImage,
  images.describeImage,
  images.markImage,
  invoke.invokeAsync,
  rule.removeBuildRule,
  rule.listBuildRules,
  rule.buildRuleTargets,
  queries.inFlightBuilds,
  queries.succeededBuilds,
  queries.testFailedBuilds,
  parameters.getParameterValues,
  instances.findDeploymentInstances,
  parameters.putImageParameter,
  parameters.removeParameter,
  retention.imagesInUse,
  retention.deregisterWithSnapshots,
  retention.deprecateImage,
  notifications.publishNotification,
  distribution.copyImage,
  distribution.shareImage,
  distribution.requireImdsV2,
  consumers.newTemplateVersion,
  consumers.refreshGroup,
  distribution.deregisterCopy,
);
