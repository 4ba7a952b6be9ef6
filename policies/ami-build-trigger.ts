import { announceBuildEnds, listExternalScripts, listToTellAbsence, writeOwnLogs } from './common';
import { bucketObjects, type PolicyRefs } from './refs';
import type { Statement } from './statement';

/** The role of ami_build_trigger: read recipes and bases, record builds, start ami_ec2_instance_create. */
export function triggerPolicy(refs: PolicyRefs): Statement[] {
  const store = refs.recipeStore;
  return [
    writeOwnLogs(refs.logGroupArns.trigger),
    announceBuildEnds(refs.topicArn),
    store.kind === 's3'
      ? {
          sid: 'ReadRecipesDocument',
          reason: 'loads the recipes document the stack writes, and nothing else of the bucket',
          actions: ['s3:GetObject'],
          resources: [store.objectArn],
        }
      : {
          sid: 'ReadRecipesTable',
          reason: 'loads the recipe items the stack writes',
          actions: ['dynamodb:Scan'],
          resources: [store.tableArn],
        },
    {
      sid: 'ReadScriptVersions',
      reason:
        "reads each recipe's script: a new version id means the recipe changed, and the build is pinned to that version and its SHA-256",
      actions: ['s3:GetObject'],
      resources: [bucketObjects(refs, refs.names.scriptsPrefix), ...refs.externalScriptArns],
    },
    listToTellAbsence(
      'ListRecipesAndScripts',
      refs.bucketArn,
      [...(store.kind === 's3' ? [refs.names.recipesKey] : []), `${refs.names.scriptsPrefix}*`],
      'recipes document or script',
    ),
    ...listExternalScripts(refs.externalScriptArns),
    {
      sid: 'FindBaseImages',
      reason: 'DescribeImages finds the newest base of each recipe; it cannot be scoped',
      actions: ['ec2:DescribeImages'],
      resources: '*',
    },
    ...(refs.parameterArns.length > 0
      ? [
          {
            sid: 'ReadBaseImageParameters',
            reason: 'the SSM parameters that recipes name as their base, and no other',
            actions: ['ssm:GetParameters'],
            resources: refs.parameterArns,
          },
        ]
      : []),
    {
      sid: 'RecordBuilds',
      reason:
        'reads the latest build of each recipe and starts builds in one conditional transaction; lists, records and clears the recipes that need attention',
      actions: [
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:DeleteItem',
      ],
      resources: [refs.buildsTableArn],
    },
    {
      sid: 'StartBuilds',
      reason: 'invokes ami_ec2_instance_create asynchronously, and no other function',
      actions: ['lambda:InvokeFunction'],
      resources: [refs.instanceCreateFunctionArn],
    },
  ];
}
