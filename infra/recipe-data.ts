import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { AssetType, Fn, type ITerraformDependable, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
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
        content: this.documentBody(deployment.recipesDocument, deployment.bucket),
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
        item: canonicalJson(marshall(item, { removeUndefinedValues: true })),
      });
    }
  }

  /**
   * The document inline, so that the plan shows a recipe edit line by line; past
   * INLINE_DOCUMENT_BYTES (hundreds of recipes) read by Terraform from a file asset, because
   * cdktf's token handling of a string grows with its square. The bucket's name is a Terraform
   * reference (it holds the account id): the file carries a placeholder that Terraform replaces.
   */
  private documentBody(document: string, bucketName: string): string {
    if (Buffer.byteLength(document) <= INLINE_DOCUMENT_BYTES) return document;
    const file = join(mkdtempSync(join(tmpdir(), 'amibake-recipes-')), 'recipes.json');
    writeFileSync(file, document.split(bucketName).join(BUCKET_PLACEHOLDER));
    const asset = new TerraformAsset(this, 'document-file', { path: file, type: AssetType.FILE });
    return Fn.replace(Fn.file(asset.path), BUCKET_PLACEHOLDER, bucketName);
  }
}

const BUCKET_PLACEHOLDER = '@@amibake-bucket@@';

/** The largest recipes document written inline in the stack. */
const INLINE_DOCUMENT_BYTES = 64 * 1024;
