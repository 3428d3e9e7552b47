/**
 * Converges one resource: read, then create or update only if needed, then wait
 * until it is ready. Running it twice is safe by construction, which is what makes
 * resume after a crash and re-running a finished migration correct.
 */
import { OrchestraError } from '../errors';
import { sleep } from '../util/sleep';
import type { Resource, StepAction, StepContext } from './types';

export interface ApplyResult {
  action: StepAction;
  live: unknown;
}

export async function applyResource(resource: Resource, ctx: StepContext): Promise<ApplyResult> {
  const gate = await resource.gate?.(ctx);
  if (gate?.action === 'ok') return { action: 'none', live: undefined };
  if (gate) throw new OrchestraError('STEP_BLOCKED', gate.reason, { where: resource.id, fix: gate.fix });
  let live = await resource.read(ctx);
  let action: StepAction = 'none';
  if (live === undefined) {
    action = 'create';
    await ctx.markCreating?.();
    live = (await resource.create(ctx)) ?? (await resource.read(ctx));
    if (live === undefined) {
      throw new OrchestraError('NOT_CREATED', `${resource.describe(ctx)} was created but cannot be read back.`, {
        where: resource.id,
        fix: 'Check the resource in the Cloud console; run execute again to retry.',
      });
    }
  } else if (resource.blocked?.(ctx, live)) {
    throw new OrchestraError('BLOCKED', resource.blocked(ctx, live)!, {
      where: resource.id,
      fix: 'Change the configuration back, or move the data by hand; verify shows the plan.',
    });
  } else if (resource.diff && resource.update) {
    const diff = await resource.diff(ctx, live);
    // A failed object is redeployed as it is: the cause (a missing image) may be gone.
    if (diff.length > 0 || resource.failed?.(live)) {
      action = 'update';
      live = (await resource.update(ctx, live)) ?? (await resource.read(ctx));
    }
  }
  assertNotFailed(resource, ctx, live);
  if (resource.ready && live !== undefined && !resource.ready(live)) live = await waitReady(resource, ctx);
  if (resource.record && live !== undefined) await resource.record(ctx, live);
  return { action, live };
}

/** Polls read() with backoff until ready() holds; bounded by a deadline and the signal. */
export async function waitReady(resource: Resource, ctx: StepContext, deadlineMs = 10 * 60_000): Promise<unknown> {
  const started = Date.now();
  let wait = 100;
  for (;;) {
    await sleep(wait, ctx.signal);
    const live = await resource.read(ctx);
    assertNotFailed(resource, ctx, live);
    if (live !== undefined && (!resource.ready || resource.ready(live))) return live;
    if (Date.now() - started > deadlineMs) {
      throw new OrchestraError(
        'NOT_READY',
        `${resource.describe(ctx)} did not become ready within ${deadlineMs / 1000}s.`,
        {
          where: resource.id,
          fix: 'Look at its conditions in the Cloud console, then run execute again.',
        },
      );
    }
    wait = Math.min(wait * 1.5, 5000);
  }
}

function assertNotFailed(resource: Resource, ctx: StepContext, live: unknown): void {
  const reason = live === undefined ? undefined : resource.failed?.(live);
  if (!reason) return;
  throw new OrchestraError('RESOURCE_FAILED', `${resource.describe(ctx)} is in a failed state: ${reason}`, {
    where: resource.id,
    fix: resource.update
      ? 'Fix the cause named above, then run execute again (it redeploys).'
      : 'Fix the cause named above, delete the failed resource (Cloud console or gcloud), then run execute again.',
  });
}
