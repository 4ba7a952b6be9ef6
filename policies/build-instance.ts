/**
 * The build instance's role grants nothing by default: the instance reports through pre-signed
 * URLs, so it needs no AWS permission of its own. Customisation scripts that call AWS get the
 * managed policies the configuration lists in `buildInstance.managedPolicyArns`.
 */
export const BUILD_INSTANCE_TRUSTED_SERVICE = 'ec2.amazonaws.com';
