/** EventBridge's event for a rule on a schedule: source "aws.events", detail-type "Scheduled Event". */
export function isScheduledEvent(event: unknown): boolean {
  const e = (event ?? {}) as Record<string, unknown>;
  return e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}
