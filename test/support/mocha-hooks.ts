import { stopLocalAccount } from './local-account';

// Quiet the AWS SDK's notice about Node.js 20 (the functions run on nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL = 'SILENT';

/** Stops the shared emulator, if a test started it. */
export const mochaHooks = {
  async afterAll() {
    await stopLocalAccount();
  },
};
