import { BUILD_RULE_ACTIONS as rule } from '../shared/aws/build-rule';
import { BUILDS_TABLE_ACTIONS as table } from '../shared/aws/builds-table';
import { IMAGES_ACTIONS as images } from '../shared/aws/images';
import { INSTANCES_ACTIONS as instances } from '../shared/aws/instances';
import { NOTIFICATIONS_ACTIONS as notifications } from '../shared/aws/notifications';
import { OBJECTS_ACTIONS as objects } from '../shared/aws/objects';
import { actionsOf } from '../shared/permissions';

/** Every IAM action ami_ec2_instance_create calls. */
export const INSTANCE_CREATE_ACTIONS = actionsOf(
  table.getBuild,
  table.updateBuild,
  table.finishBuild,
  images.describeImage,
  objects.readObject,
  objects.readObjectVersion,
  objects.putText,
  objects.presignPut,
  objects.presignGet,
  instances.runInstance,
  instances.terminateInstance,
  rule.putBuildRule,
  rule.removeBuildRule,
  notifications.publishNotification,
);
