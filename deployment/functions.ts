/** The three functions: their source folder doubles as their bundle name. */
export const FUNCTION_NAMES = ['ami-build-trigger', 'ami-ec2-instance-create', 'ami-image-create'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type FunctionRole = 'trigger' | 'instanceCreate' | 'imageCreate';

export interface FunctionSettings {
  /** The bundle (and source folder) of the function. */
  bundle: FunctionName;
  memoryMiB: number;
  timeoutSeconds: number;
}

/**
 * Size of each function, shared by the stack and the local run. The trigger walks the image
 * catalogue (a thousand images per selector); ami_image_create may wait for a large image's
 * snapshots, up to Lambda's 15-minute limit.
 */
export const FUNCTION_SETTINGS: Readonly<Record<FunctionRole, FunctionSettings>> = {
  trigger: { bundle: 'ami-build-trigger', memoryMiB: 512, timeoutSeconds: 300 },
  instanceCreate: { bundle: 'ami-ec2-instance-create', memoryMiB: 256, timeoutSeconds: 120 },
  imageCreate: { bundle: 'ami-image-create', memoryMiB: 256, timeoutSeconds: 900 },
};

/** Launches that fail every attempt go to the on-failure queue. */
export const INSTANCE_CREATE_ASYNC = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 };

/**
 * The Lambda runtime of the three functions (supported until 30 April 2028; Lambda Developer
 * Guide, "Building Lambda functions with Node.js"), and the Node.js major esbuild targets.
 */
export const LAMBDA_RUNTIME = 'nodejs24.x';
export const BUNDLE_TARGET = `node${/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1]}`;
