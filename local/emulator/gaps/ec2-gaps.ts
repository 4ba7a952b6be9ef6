import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { instanceArchitecture, runsOnNitro } from '../../../functions/shared/aws-facts';
import { type Answer, errorAnswer, xmlEscape } from '../answers';
import type { AwsRequest } from '../aws-request';
import type { Layer } from '../gateway';
import { DEFAULT_EBS_KEY, launchKey } from '../iam/key-use';
import { createTagsForm, takeTagSpecifications } from './tag-specifications';
import { topLevelItems, xmlToQuery, xmlValue } from './xml-items';

/** EC2 keeps the most recent 64 KB of an instance's console output. */
const CONSOLE_BYTES = 64 * 1024;

/** The account whose images the emulated vendor publishes (the ECS-optimized images' owner). */
const VENDOR_ACCOUNT = '591542846629';

/** An image whose state this layer keeps (see imagesPending). */
export interface PendingImage {
  imageId: string;
  region: string;
  state: 'pending' | 'available' | 'failed';
  reason?: string;
}

type ToMoto = (request: Pick<AwsRequest, 'method' | 'path' | 'headers' | 'body'>) => Promise<Answer>;

/**
 * What EC2 does that moto does not (see ../shared/notes/moto.md), so that amibake's code runs
 * against the emulator as it would against AWS:
 * - RunInstances and CopyImage honour ClientToken (moto makes a new resource every time);
 * - RunInstances refuses an instance type of another architecture than the image (moto launches it);
 * - CreateImage refuses a name the account already uses (InvalidAMIName.Duplicate) and accepts
 *   snapshot TagSpecifications (moto answers 500); CopyImage applies its TagSpecifications
 *   (moto ignores them): the tags are written right after, in the same request;
 * - EnableImageDeprecation, which moto lacks, is refused as an endpoint without the action refuses;
 * - a vendor can publish images that DescribeImages shows as the vendor's (moto shows an account
 *   only its own images and the default catalog);
 * - DescribeImages reports the image and region a copy was made from;
 * - GetConsoleOutput answers what the instance wrote to its console (moto answers a fixed text):
 *   as of its last state change by default, as it is now with `Latest`, which only Nitro
 *   instances serve (the last 64 KB either way);
 * - CreateLaunchTemplateVersion honours SourceVersion: the new version is the source's data with
 *   the request's fields over it (moto keeps only the request's fields);
 * - ModifyImageAttribute sets ImdsSupport, which accepts only `v2.0` and which DescribeImages then
 *   reports (moto ignores the parameter and reports nothing), and in its attribute form
 *   (`Attribute=launchPermission`, `OperationType`, lists of accounts, organizations and units)
 *   adds or removes every launch permission listed (moto keeps only the first organization and
 *   the first unit);
 * - with `imagesPending`, an image CreateImage or CopyImage makes is `pending` until settled
 *   (moto makes it `available` at once), as EC2's images are while their snapshots are taken;
 *   settling it `available` or `failed` is what emits its `EC2 AMI State Change` event.
 */
export class Ec2Gaps {
  readonly vendorImages = new Set<string>();
  private readonly clientTokens = new Map<string, Answer>();
  /** Where each copy came from, which DescribeImages reports and moto does not. */
  private readonly provenance = new Map<string, string>();
  /** Images (`<region>/<image id>`) whose ImdsSupport is v2.0. */
  private readonly imdsV2 = new Set<string>();
  /**
   * The KMS key of each instance's root volume and each image's snapshots (`<region>/<id>`), as
   * the requests that made them said: moto keeps no encryption on images at all.
   */
  private readonly keys = new Map<string, string>();
  /** What each instance wrote to its console: as it is, and as EC2 last posted it. */
  private readonly consoles = new Map<string, { live: string; posted: string }>();
  /**
   * Whether state changes post the console output (the default). False models EC2 posting it
   * late, as it may for minutes after a stop; postConsole() then posts it.
   */
  postOnStateChange = true;
  /**
   * Whether new images start `pending` (the local run and the event tests) rather than
   * `available` at once (moto's behaviour, kept by default for tests about other things).
   */
  imagesPending = false;
  /** Images not available yet, or failed: what DescribeImages says instead of moto's `available`. */
  private readonly imageStates = new Map<string, PendingImage>();
  /** CreateImage requests run one at a time, so that the name check and the creation are atomic. */
  private imageQueue: Promise<unknown> = Promise.resolve();

  /** Regions where the account allows the EC2 serial console (EC2's default: none). */
  private readonly serialConsole = new Set<string>();

  constructor(private readonly toMoto: ToMoto) {}

  clear(): void {
    this.vendorImages.clear();
    this.clientTokens.clear();
    this.provenance.clear();
    this.consoles.clear();
    this.serialConsole.clear();
    this.postOnStateChange = true;
    this.imagesPending = false;
    this.imageStates.clear();
  }

  /** An image the vendor released: shown as the vendor's, and available (vendors publish finished images). */
  publishVendorImage(imageId: string): void {
    this.vendorImages.add(imageId);
    this.imageStates.delete(imageId);
  }

  /** The images still pending, oldest first. */
  pendingImages(): PendingImage[] {
    return [...this.imageStates.values()].filter((i) => i.state === 'pending');
  }

  /**
   * Ends an image's wait as EC2 does: `available`, or `failed` with the reason DescribeImages
   * then gives. Returns the image's region, for its state change event.
   */
  settleImage(
    imageId: string,
    outcome: { state: 'available' } | { state: 'failed'; reason: string },
  ): PendingImage {
    const image = this.imageStates.get(imageId);
    if (image?.state !== 'pending') throw new Error(`image ${imageId} is not pending`);
    if (outcome.state === 'available') {
      this.imageStates.delete(imageId);
      return { ...image, state: 'available' };
    }
    const failed = { ...image, state: 'failed' as const, reason: outcome.reason };
    this.imageStates.set(imageId, failed);
    return failed;
  }

  /** What an instance writes to its serial console (the instance simulator's output). */
  writeConsole(instanceId: string, text: string): void {
    const kept = this.consoles.get(instanceId) ?? { live: '', posted: '' };
    kept.live = (kept.live + text).slice(-CONSOLE_BYTES);
    this.consoles.set(instanceId, kept);
  }

  /** Posts an instance's console output as EC2 does after a state change. */
  postConsole(instanceId: string): void {
    const kept = this.consoles.get(instanceId);
    if (kept) kept.posted = kept.live;
  }

  readonly layer: Layer = ({ request }, next) => {
    const form = request.form;
    if (request.service !== 'ec2' || !form) return next();
    switch (request.operation) {
      case 'RunInstances':
        return this.once(
          `RunInstances:${form.get('ClientToken') ?? ''}`,
          form.get('ClientToken'),
          async () => {
            const answer = (await this.architectureMismatch(request, form)) ?? (await next());
            const key = launchKey(form);
            if (answer.status === 200 && key) {
              for (const [, id] of answer.body
                .toString('utf-8')
                .matchAll(/<instanceId>([^<]+)<\/instanceId>/g))
                this.keys.set(`${request.region}/${id}`, key);
            }
            return answer;
          },
        );
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
      case 'ModifyImageAttribute':
        return this.modifyImageAttribute(request, form, next);
      case 'CreateLaunchTemplateVersion':
        return this.launchTemplateVersion(request, form, next);
      case 'GetConsoleOutput':
        return this.consoleOutput(request, form);
      case 'GetSerialConsoleAccessStatus':
      case 'EnableSerialConsoleAccess':
      case 'DisableSerialConsoleAccess':
        return Promise.resolve(this.serialConsoleAccess(request.operation, request.region));
      case 'StopInstances':
      case 'StartInstances':
      case 'RebootInstances':
      case 'TerminateInstances':
        return next().then((answer) => {
          if (answer.status === 200 && this.postOnStateChange) {
            for (const [key, id] of form) if (/^InstanceId\.\d+$/.test(key)) this.postConsole(id);
          }
          return answer;
        });
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
    this.startPending(request, answer);
    // The image's snapshots are encrypted as the instance's volumes are.
    this.keepKey(request.region, answer, this.keys.get(`${request.region}/${form.get('InstanceId') ?? ''}`));
    return answer;
  }

  /** The key an image's snapshots are encrypted with (`default`: the region's EBS default key). */
  imageKey(region: string, imageId: string): string | undefined {
    return this.keys.get(`${region}/${imageId}`);
  }

  private keepKey(region: string, answer: Answer, key: string | undefined): void {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (answer.status === 200 && imageId && key) this.keys.set(`${region}/${imageId}`, key);
  }

  private startPending(request: AwsRequest, answer: Answer): void {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (!this.imagesPending || answer.status !== 200 || !imageId) return;
    this.imageStates.set(imageId, { imageId, region: request.region, state: 'pending' });
  }

  private remember(answer: Answer, fields: string): void {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (answer.status === 200 && imageId) this.provenance.set(imageId, fields);
  }

  private async copyImage(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const { kept, tags } = takeTagSpecifications(form, new Set(['image', 'snapshot']));
    const answer = await this.send(request, kept);
    await this.applyImageTags(request, form, answer, tags);
    this.startPending(request, answer);
    this.remember(
      answer,
      `<sourceImageId>${form.get('SourceImageId') ?? ''}</sourceImageId><sourceImageRegion>${form.get('SourceRegion') ?? ''}</sourceImageRegion>`,
    );
    // A copy is encrypted with the key asked for, else (asked to encrypt, or of an encrypted
    // source: keys are regional) with the region's default key.
    const source = this.imageKey(form.get('SourceRegion') ?? request.region, form.get('SourceImageId') ?? '');
    const encrypted = form.get('Encrypted') === 'true' || source !== undefined;
    this.keepKey(request.region, answer, form.get('KmsKeyId') ?? (encrypted ? DEFAULT_EBS_KEY : undefined));
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
    const rewrites = this.provenance.size + this.imageStates.size + this.imdsV2.size;
    if (answer.status !== 200 || !set || rewrites === 0) return answer;
    const items = set.items.map((item) => {
      const imageId = xmlValue(item, 'imageId') ?? '';
      const imds = this.imdsV2.has(`${request.region}/${imageId}`) ? '<imdsSupport>v2.0</imdsSupport>' : '';
      const fields = `${this.provenance.get(imageId) ?? ''}${imds}`;
      const withSource = fields ? item.replace(/<\/item>$/, `${fields}</item>`) : item;
      return this.withState(withSource, this.imageStates.get(imageId));
    });
    const body = xml.slice(0, set.start) + items.join('') + xml.slice(set.end);
    return { ...answer, body: Buffer.from(body) };
  }

  /**
   * ImdsSupport: EC2 accepts only `v2.0` (and a value once set cannot be unset); moto would answer
   * `true` and keep nothing. The image must exist: the request goes on to moto without the
   * parameter, which checks that, and the value is kept when it succeeds.
   */
  private async modifyImageAttribute(
    request: AwsRequest,
    form: URLSearchParams,
    next: () => Promise<Answer>,
  ) {
    const attribute = form.get('Attribute');
    if (attribute === 'launchPermission') return this.send(request, launchPermissionForm(form));
    const value = form.get('ImdsSupport.Value') ?? (attribute === 'imdsSupport' ? form.get('Value') : null);
    if (value === null) return next();
    if (value !== 'v2.0') {
      return errorAnswer(
        request,
        400,
        'InvalidParameterValue',
        `Value (${value}) for parameter imdsSupport is invalid. The only supported value is v2.0.`,
      );
    }
    const rest = new URLSearchParams();
    for (const [key, v] of form) {
      if (!key.startsWith('ImdsSupport') && key !== 'Attribute' && key !== 'Value') rest.append(key, v);
    }
    const answer = await this.send(request, rest);
    if (answer.status === 200) this.imdsV2.add(`${request.region}/${form.get('ImageId') ?? ''}`);
    return answer;
  }

  /** A new launch template version from its SourceVersion, with the request's fields over the source's. */
  private async launchTemplateVersion(
    request: AwsRequest,
    form: URLSearchParams,
    next: () => Promise<Answer>,
  ) {
    const source = form.get('SourceVersion');
    if (source === null) return next();
    const id = form.get('LaunchTemplateId');
    const template: Record<string, string> = id
      ? { LaunchTemplateId: id }
      : { LaunchTemplateName: form.get('LaunchTemplateName') ?? '' };
    const described = await this.send(request, {
      Action: 'DescribeLaunchTemplateVersions',
      Version: form.get('Version') ?? '2016-11-15',
      ...template,
      'LaunchTemplateVersion.1': source,
    });
    const xml = described.body.toString('utf-8');
    if (described.status !== 200) return described;
    if (!xml.includes('<launchTemplateData>')) {
      return errorAnswer(
        request,
        400,
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${source}`,
      );
    }
    const own = [...form.keys()].filter((k) => k.startsWith('LaunchTemplateData.'));
    // A field the request sets replaces the source's whole field (a list is not merged).
    const field = (key: string) => key.split('.').slice(0, 2).join('.');
    const overridden = new Set(own.map(field));
    const merged = new URLSearchParams();
    for (const [key, value] of form) if (key !== 'SourceVersion') merged.append(key, value);
    for (const [key, value] of xmlToQuery(xml, 'launchTemplateData', 'LaunchTemplateData')) {
      if (!overridden.has(field(key))) merged.append(key, value);
    }
    return this.send(request, merged);
  }

  /** An image item with the state this layer holds for it (moto says `available` from the start). */
  private withState(item: string, image: PendingImage | undefined): string {
    if (!image) return item;
    const stated = item.replace(/<imageState>[^<]*<\/imageState>/, `<imageState>${image.state}</imageState>`);
    if (image.state !== 'failed') return stated;
    const reason = `<stateReason><code>Client.ImageFailed</code><message>${xmlEscape(image.reason ?? '')}</message></stateReason>`;
    return stated.replace(/<stateReason>.*?<\/stateReason>/s, '').replace(/<\/item>$/, `${reason}</item>`);
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

  /** EC2's refusal of an instance type whose architecture is not the image's. */
  private async architectureMismatch(
    request: AwsRequest,
    form: URLSearchParams,
  ): Promise<Answer | undefined> {
    const runs = instanceArchitecture(form.get('InstanceType') ?? 'm1.small');
    const described = await this.send(request, {
      Action: 'DescribeImages',
      Version: form.get('Version') ?? '2016-11-15',
      'ImageId.1': form.get('ImageId') ?? '',
    });
    const image = xmlValue(described.body.toString('utf-8'), 'architecture');
    if (!runs || runs === 'mac' || !image || runs === (image === 'i386' ? 'x86_64' : image)) return undefined;
    return errorAnswer(
      request,
      400,
      'InvalidParameterValue',
      `The architecture '${runs}' of the specified instance type does not match the architecture '${image}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.`,
    );
  }

  private async instanceType(
    request: AwsRequest,
    form: URLSearchParams,
    instanceId: string,
  ): Promise<string | undefined> {
    const described = await this.send(request, {
      Action: 'DescribeInstances',
      Version: form.get('Version') ?? '2016-11-15',
      'InstanceId.1': instanceId,
    });
    return described.status === 200 ? xmlValue(described.body.toString('utf-8'), 'instanceType') : undefined;
  }

  private async consoleOutput(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const instanceId = form.get('InstanceId') ?? '';
    const latest = form.get('Latest') === 'true';
    const type = latest ? await this.instanceType(request, form, instanceId) : undefined;
    if (type && !runsOnNitro(type)) {
      // AWS documents Latest as Nitro-only; the exact error code is not documented.
      return errorAnswer(
        request,
        400,
        'UnsupportedOperation',
        `The instance type ${type} does not support retrieving the latest console output.`,
      );
    }
    const answer = await this.send(request, form);
    if (answer.status !== 200) return answer;
    const kept = this.consoles.get(instanceId);
    const text = (latest ? kept?.live : kept?.posted) ?? '';
    const body = answer.body
      .toString('utf-8')
      .replace(/<output>[^<]*<\/output>/, `<output>${Buffer.from(text).toString('base64')}</output>`);
    return { ...answer, body: Buffer.from(body) };
  }

  /**
   * The account's access to the EC2 serial console, a setting of each region that moto lacks:
   * Enable and Disable answer the new state, Get the state and who manages it.
   */
  private serialConsoleAccess(operation: string, region: string): Answer {
    if (operation === 'EnableSerialConsoleAccess') this.serialConsole.add(region);
    if (operation === 'DisableSerialConsoleAccess') this.serialConsole.delete(region);
    const enabled = `<serialConsoleAccessEnabled>${this.serialConsole.has(region)}</serialConsoleAccessEnabled>`;
    const managed = operation === 'GetSerialConsoleAccessStatus' ? '<managedBy>account</managedBy>' : '';
    return ec2Answer(operation, `${enabled}${managed}`);
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

/**
 * The attribute form of a launch permission change as its structured form
 * (`LaunchPermission.Add.N.UserId`, `.Group`, `.OrganizationArn`, `.OrganizationalUnitArn`), which
 * moto reads in full.
 */
function launchPermissionForm(form: URLSearchParams): URLSearchParams {
  const operation = form.get('OperationType') === 'remove' ? 'Remove' : 'Add';
  const fields: Record<string, string> = {
    UserId: 'UserId',
    UserGroup: 'Group',
    OrganizationArn: 'OrganizationArn',
    OrganizationalUnitArn: 'OrganizationalUnitArn',
  };
  const out = new URLSearchParams();
  let n = 0;
  for (const [key, value] of form) {
    const field = fields[/^(\w+)\.\d+$/.exec(key)?.[1] ?? ''];
    if (field) out.append(`LaunchPermission.${operation}.${++n}.${field}`, value);
    else if (key !== 'Attribute' && key !== 'OperationType') out.append(key, value);
  }
  return out;
}

/** An EC2 answer of this layer's own, in the service's encoding. */
function ec2Answer(operation: string, fields: string): Answer {
  const body = `<?xml version="1.0" encoding="UTF-8"?><${operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId>${fields}</${operation}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: Buffer.from(body) };
}
