/**
 * Every tag amibake writes. The IAM conditions of the stack's policies name the first two, so
 * functions and policies import them from here alone.
 */

/** The deployment (its name prefix) on instances, volumes, images and snapshots. */
export const DEPLOYMENT_TAG = 'amibake:deployment';
/** The build that made the resource: present on everything a build creates. */
export const BUILD_ID_TAG = 'amibake:build-id';
/** When the build started (ISO 8601 with milliseconds): lineage on the image and its snapshots. */
export const BUILD_STARTED_TAG = 'amibake:build-started';
export const RECIPE_TAG = 'amibake:recipe';
/** The recipe's content hash (the recipe and its script's identity). */
export const RECIPE_HASH_TAG = 'amibake:recipe-hash';
export const BASE_IMAGE_ID_TAG = 'amibake:base-image-id';
export const BASE_IMAGE_NAME_TAG = 'amibake:base-image-name';
/** `amibake` on every image it made. */
export const CREATED_BY_TAG = 'amibake:created-by';
/** On a test instance: `test` (a build instance has no stage tag). */
export const STAGE_TAG = 'amibake:stage';
/** `failed` on an image whose tests failed or timed out: never published, removed after the recipe's days. */
export const TESTS_TAG = 'amibake:tests';
