import { stopLocalAccount } from './local-account';

process.env.LOG_LEVEL = 'SILENT';

/**
 * The AWS SDK warns once per process on a Node.js it will stop supporting. The tests run on the
 * project's floor or newer, so any such warning fails the run.
 */
const unsupportedNode: string[] = [];
process.on('warning', (warning) => {
  if (warning.message.includes('NodeVersionSupportWarning')) unsupportedNode.push(warning.message);
});

/** Stops the shared emulator, if a test started it. */
export const mochaHooks = {
  async afterAll() {
    await stopLocalAccount();
    if (unsupportedNode.length > 0) {
      throw new Error(`the AWS SDK warned about Node.js ${process.version}: ${unsupportedNode[0]}`);
    }
  },
};
