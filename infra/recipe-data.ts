import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { toItem } from '../deployment/dynamodb-json';
import type { Deployment } from '../deployment/model';
import { canonicalJson } from '../functions/shared/canonical-json';

/**
 * The recipes "hash" as data, and each script as an S3 object. One resource per script and per
 * recipe item, so an edit shows in the plan as exactly the object that changed.
 */
export class RecipeData extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: {
      deployment: Deployment;
      bucket: string;
      recipesTable?: string | undefined;
      /**
       * The bucket's versioning: every object is written after it, so that even the first upload
       * has a version id that builds can be pinned to.
       */
      versioning: ITerraformDependable;
    },
  ) {
    super(scope, id);
    const { deployment, bucket } = props;
    for (const script of deployment.scripts) {
      new S3Object(this, `script-${script.path}`, {
        bucket,
        key: script.key,
        content: script.content,
        contentType: 'text/x-shellscript',
        dependsOn: [props.versioning],
      });
    }
    if (deployment.config.recipeStore === 's3') {
      new S3Object(this, 'document', {
        bucket,
        key: deployment.names.recipesKey,
        content: deployment.recipesDocument,
        contentType: 'application/json',
        dependsOn: [props.versioning],
      });
      return;
    }
    if (!props.recipesTable) throw new Error('the dynamodb recipe store needs its table');
    for (const item of deployment.recipeItems) {
      new DynamodbTableItem(this, `recipe-${String(item.name)}`, {
        tableName: props.recipesTable,
        hashKey: 'name',
        item: canonicalJson(toItem(item)),
      });
    }
  }
}
