import type { IncomingHttpHeaders } from 'node:http';
import { type Answer, errorAnswer } from '../answers';
import type { AwsRequest } from '../aws-request';
import type { Layer } from '../gateway';
import { createTagsForm, takeTagSpecifications } from './tag-specifications';
import { topLevelItems, xmlValue } from './xml-items';

/** The account whose images the emulated vendor publishes (the ECS-optimized images' owner). */
export const VENDOR_ACCOUNT = '591542846629';

type ToMoto = (request: Pick<AwsRequest, 'method' | 'path' | 'headers' | 'body'>) => Promise<Answer>;

/**
 * What EC2 does that moto does not (see ../shared/notes/moto.md), so that amibake's code runs
 * against the emulator as it would against AWS:
 * - RunInstances and CopyImage honour ClientToken (moto makes a new resource every time);
 * - CreateImage refuses a name the account already uses (InvalidAMIName.Duplicate) and accepts
 *   snapshot TagSpecifications (moto answers 500); CopyImage applies its TagSpecifications
 *   (moto ignores them): the tags are written right after, in the same request;
 * - EnableImageDeprecation, which moto lacks, is refused as an endpoint without the action refuses;
 * - a vendor can publish images that DescribeImages shows as the vendor's (moto shows an account
 *   only its own images and the default catalog);
 * - DescribeImages reports the image and region a copy was made from.
 */
export class Ec2Gaps {
  readonly vendorImages = new Set<string>();
  private readonly clientTokens = new Map<string, Answer>();
  /** Where each copy came from, which DescribeImages reports and moto does not. */
  private readonly provenance = new Map<string, string>();
  /** CreateImage requests run one at a time, so that the name check and the creation are atomic. */
  private imageQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly toMoto: ToMoto) {}

  clear(): void {
    this.vendorImages.clear();
    this.clientTokens.clear();
    this.provenance.clear();
  }

  readonly layer: Layer = ({ request }, next) => {
    const form = request.form;
    if (request.service !== 'ec2' || !form) return next();
    switch (request.operation) {
      case 'RunInstances':
        return this.once(`RunInstances:${form.get('ClientToken') ?? ''}`, form.get('ClientToken'), next);
      case 'CreateImage': {
        const created = this.imageQueue.then(() => this.createImage(request, form));
        this.imageQueue = created.catch(() => undefined);
        return created;
      }
      case 'CopyImage':
        return this.once(
          `CopyImage:${request.region}:${form.get('ClientToken') ?? ''}`,
          form.get('ClientToken'),
          () => this.copyImage(request, form),
        );
      case 'EnableImageDeprecation':
        return Promise.resolve(
          errorAnswer(
            request,
            400,
            'InvalidAction',
            'The action EnableImageDeprecation is not valid for this web service.',
          ),
        );
      case 'DescribeImages':
        return this.describeImages(request, form);
      default:
        return next();
    }
  };

  /** The first successful answer for a client token, repeated for every later request with it. */
  private async once(key: string, token: string | null, make: () => Promise<Answer>): Promise<Answer> {
    const cached = token ? this.clientTokens.get(key) : undefined;
    if (cached) return cached;
    const answer = await make();
    if (token && answer.status === 200) this.clientTokens.set(key, answer);
    return answer;
  }

  private async createImage(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const sameName = await this.send(request, {
      Action: 'DescribeImages',
      Version: form.get('Version') ?? '2016-11-15',
      'Owner.1': 'self',
      'Filter.1.Name': 'name',
      'Filter.1.Value.1': form.get('Name') ?? '',
    });
    if (xmlValue(sameName.body.toString('utf-8'), 'imageId')) {
      return errorAnswer(
        request,
        400,
        'InvalidAMIName.Duplicate',
        `AMI name ${form.get('Name')} is already in use by AMI ${xmlValue(sameName.body.toString('utf-8'), 'imageId')}`,
      );
    }
    const { kept, tags } = takeTagSpecifications(form, new Set(['snapshot']));
    const answer = await this.send(request, kept);
    await this.applyImageTags(request, form, answer, tags);
    return answer;
  }

  private remember(answer: Answer, fields: string): void {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (answer.status === 200 && imageId) this.provenance.set(imageId, fields);
  }

  private async copyImage(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const { kept, tags } = takeTagSpecifications(form, new Set(['image', 'snapshot']));
    const answer = await this.send(request, kept);
    await this.applyImageTags(request, form, answer, tags);
    this.remember(
      answer,
      `<sourceImageId>${form.get('SourceImageId') ?? ''}</sourceImageId><sourceImageRegion>${form.get('SourceRegion') ?? ''}</sourceImageRegion>`,
    );
    return answer;
  }

  private async applyImageTags(
    request: AwsRequest,
    form: URLSearchParams,
    answer: Answer,
    tags: Map<string, [string, string][]>,
  ): Promise<void> {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (answer.status !== 200 || !imageId || tags.size === 0) return;
    const version = form.get('Version') ?? '2016-11-15';
    const imageTags = tags.get('image');
    if (imageTags) await this.send(request, createTagsForm(version, [imageId], imageTags));
    const snapshotTags = tags.get('snapshot');
    if (!snapshotTags) return;
    const described = await this.send(request, {
      Action: 'DescribeImages',
      Version: version,
      'ImageId.1': imageId,
    });
    const snapshots = [
      ...described.body.toString('utf-8').matchAll(/<snapshotId>([^<]+)<\/snapshotId>/g),
    ].map((m) => m[1] as string);
    if (snapshots.length > 0) await this.send(request, createTagsForm(version, snapshots, snapshotTags));
  }

  /**
   * Adds where each copy came from (`sourceImageId`, `sourceImageRegion`), as EC2 reports it
   * (moto reports `sourceInstanceId` of CreateImage's images itself).
   */
  private async describeImages(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const answer = await this.withVendorImages(request, form);
    const xml = answer.body.toString('utf-8');
    const set = topLevelItems(xml, 'imagesSet');
    if (answer.status !== 200 || !set || this.provenance.size === 0) return answer;
    const items = set.items.map((item) => {
      const fields = this.provenance.get(xmlValue(item, 'imageId') ?? '');
      return fields ? item.replace(/<\/item>$/, `${fields}</item>`) : item;
    });
    const body = xml.slice(0, set.start) + items.join('') + xml.slice(set.end);
    return { ...answer, body: Buffer.from(body) };
  }

  /** Adds the vendor's published images to answers that ask for the vendor's ("amazon") images. */
  private async withVendorImages(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const answer = await this.send(request, form);
    const owners = [...form].filter(([k]) => /^Owner\.\d+$/.test(k)).map(([, v]) => v);
    const asksVendor = owners.includes('amazon') || owners.includes(VENDOR_ACCOUNT);
    if (this.vendorImages.size === 0 || !asksVendor || answer.status !== 200) return answer;
    const own = new URLSearchParams();
    for (const [key, value] of form) if (!/^Owner\.\d+$/.test(key)) own.append(key, value);
    own.append('Owner.1', 'self');
    const published = await this.send(request, own);
    const extra = topLevelItems(published.body.toString('utf-8'), 'imagesSet')
      ?.items.filter((item) => this.vendorImages.has(xmlValue(item, 'imageId') ?? ''))
      .map((item) =>
        item.replace(
          /<imageOwnerId>[^<]*<\/imageOwnerId>/,
          `<imageOwnerId>${VENDOR_ACCOUNT}</imageOwnerId><imageOwnerAlias>amazon</imageOwnerAlias>`,
        ),
      );
    const xml = answer.body.toString('utf-8');
    const set = topLevelItems(xml, 'imagesSet');
    if (!extra?.length || !set) return answer;
    return { ...answer, body: Buffer.from(xml.slice(0, set.end) + extra.join('') + xml.slice(set.end)) };
  }

  /** A query request to moto, signed as the original was (moto checks no signature). */
  private send(request: AwsRequest, form: URLSearchParams | Record<string, string>): Promise<Answer> {
    const body = Buffer.from(new URLSearchParams(form).toString());
    const headers: IncomingHttpHeaders = {
      ...request.headers,
      'content-type': 'application/x-www-form-urlencoded',
    };
    return this.toMoto({ method: 'POST', path: request.path, headers, body });
  }
}
