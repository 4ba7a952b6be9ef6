import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Answer, errorAnswer, queryAnswer, xmlEscape } from '../answers';
import type { AwsRequest } from '../aws-request';
import type { Layer } from '../gateway';
import { xmlValue } from './xml-items';

const XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

/** An instance refresh as this layer keeps it. */
export interface InstanceRefresh {
  id: string;
  group: string;
  region: string;
  status: 'Pending' | 'InProgress' | 'Successful' | 'Cancelled';
  minHealthyPercentage: number;
  startTime: string;
}

type ToMoto = (request: Pick<AwsRequest, 'method' | 'path' | 'headers' | 'body'>) => Promise<Answer>;

/**
 * Instance refreshes, which moto lacks: StartInstanceRefresh of a group that exists (moto holds
 * the groups) starts one `Pending`, refused with `InstanceRefreshInProgress` while another of the
 * group is not finished, as Auto Scaling refuses it; DescribeInstanceRefreshes lists them.
 * Nothing is replaced: `finish` ends a refresh when a test says so.
 */
export class AutoScalingGaps {
  private readonly refreshes: InstanceRefresh[] = [];

  constructor(private readonly toMoto: ToMoto) {}

  clear(): void {
    this.refreshes.length = 0;
  }

  refreshesOf(group: string): InstanceRefresh[] {
    return this.refreshes.filter((r) => r.group === group);
  }

  finish(id: string): void {
    const refresh = this.refreshes.find((r) => r.id === id);
    if (refresh) refresh.status = 'Successful';
  }

  readonly layer: Layer = ({ request }, next) => {
    const form = request.form;
    if (request.service !== 'autoscaling' || !form) return next();
    switch (request.operation) {
      case 'StartInstanceRefresh':
        return this.start(request, form);
      case 'DescribeInstanceRefreshes':
        return Promise.resolve(this.describe(request, form));
      default:
        return next();
    }
  };

  private async start(request: AwsRequest, form: URLSearchParams): Promise<Answer> {
    const group = form.get('AutoScalingGroupName') ?? '';
    const found = await this.send(request, {
      Action: 'DescribeAutoScalingGroups',
      Version: form.get('Version') ?? '2011-01-01',
      'AutoScalingGroupNames.member.1': group,
    });
    if (!xmlValue(found.body.toString('utf-8'), 'AutoScalingGroupName')) {
      return errorAnswer(request, 400, 'ValidationError', `AutoScalingGroup name not found - ${group}`);
    }
    const running = this.refreshes.find(
      (r) =>
        r.group === group &&
        r.region === request.region &&
        (r.status === 'Pending' || r.status === 'InProgress'),
    );
    if (running) {
      return errorAnswer(
        request,
        400,
        'InstanceRefreshInProgress',
        `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh (${running.id}).`,
      );
    }
    const refresh: InstanceRefresh = {
      id: randomUUID(),
      group,
      region: request.region,
      status: 'Pending',
      minHealthyPercentage: Number(form.get('Preferences.MinHealthyPercentage') ?? 90),
      startTime: new Date().toISOString(),
    };
    this.refreshes.push(refresh);
    return queryAnswer(XMLNS, 'StartInstanceRefresh', `<InstanceRefreshId>${refresh.id}</InstanceRefreshId>`);
  }

  private describe(request: AwsRequest, form: URLSearchParams): Answer {
    const group = form.get('AutoScalingGroupName') ?? '';
    const members = this.refreshes
      .filter((r) => r.group === group && r.region === request.region)
      .map(
        (r) =>
          `<member><InstanceRefreshId>${r.id}</InstanceRefreshId><AutoScalingGroupName>${xmlEscape(r.group)}</AutoScalingGroupName><Status>${r.status}</Status><StartTime>${r.startTime}</StartTime><Preferences><MinHealthyPercentage>${r.minHealthyPercentage}</MinHealthyPercentage></Preferences></member>`,
      )
      .join('');
    return queryAnswer(
      XMLNS,
      'DescribeInstanceRefreshes',
      `<InstanceRefreshes>${members}</InstanceRefreshes>`,
    );
  }

  private send(request: AwsRequest, form: Record<string, string>): Promise<Answer> {
    const headers: IncomingHttpHeaders = {
      ...request.headers,
      'content-type': 'application/x-www-form-urlencoded',
    };
    return this.toMoto({
      method: 'POST',
      path: request.path,
      headers,
      body: Buffer.from(new URLSearchParams(form).toString()),
    });
  }
}
