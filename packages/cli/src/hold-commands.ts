import type { Hold } from '@ami-lifecycle/core';
import {
  type HoldDeps,
  holdTargetText,
  NO_TICKET,
  placeHold,
  releaseHold,
} from '@ami-lifecycle/decommission-service';
import type { AmictlCommand } from './args';
import { allPages, json, minutes, table } from './output';

/** What the hold commands need of amictl's deps. */
export interface HoldCommandDeps extends HoldDeps {
  user: string | undefined;
  out: (line: string) => void;
}

/** A hold as `amictl hold list --json` prints it. */
export interface HoldView {
  id: string;
  target: Hold['target'];
  reason: string;
  owner: string;
  ticket: string | null;
  createdAt: string;
  expiresAt: string | null;
  /** Past its expiry: it no longer protects anything; the daily sweep lifts and releases it. */
  expired: boolean;
}

const holdView = (hold: Hold, nowMs: number): HoldView => ({
  id: hold.id,
  target: hold.target,
  reason: hold.reason,
  owner: hold.owner,
  ticket: hold.ticket === NO_TICKET ? null : hold.ticket,
  createdAt: hold.createdAt,
  expiresAt: hold.expiresAt ?? null,
  expired: hold.expiresAt !== undefined && Date.parse(hold.expiresAt) <= nowMs,
});

const amis = (n: number): string => `${n} AMI${n === 1 ? '' : 's'}`;

export const addHold = async (
  command: Extract<AmictlCommand, { command: 'hold-add' }>,
  deps: HoldCommandDeps,
): Promise<void> => {
  const { hold, protected: done } = await placeHold(
    {
      target: command.target,
      reason: command.reason,
      owner: command.owner,
      ...(command.ticket === undefined ? {} : { ticket: command.ticket }),
      ...(command.expires === undefined ? {} : { expiresAt: command.expires }),
    },
    deps,
  );
  deps.out(
    `${hold.id} placed on ${holdTargetText(hold.target)}` +
      `${hold.expiresAt === undefined ? '' : ` until ${hold.expiresAt}`}` +
      ` (deregistration protection on for ${amis(done.length)})`,
  );
};

export const listHolds = async (
  command: Extract<AmictlCommand, { command: 'hold-list' }>,
  deps: HoldCommandDeps,
): Promise<void> => {
  const nowMs = deps.clock.now().getTime();
  const holds = (await allPages('the hold list', (page) => deps.catalog.listActiveHolds(page))).map((h) =>
    holdView(h, nowMs),
  );
  if (command.json) {
    deps.out(json(holds));
    return;
  }
  if (holds.length === 0) {
    deps.out('no holds in force');
    return;
  }
  for (const line of table(
    ['ID', 'TARGET', 'OWNER', 'TICKET', 'CREATED', 'EXPIRES', 'REASON'],
    holds.map((h) => [
      h.id,
      holdTargetText(h.target),
      h.owner,
      h.ticket ?? '-',
      minutes(h.createdAt),
      h.expiresAt === null ? '-' : `${minutes(h.expiresAt)}${h.expired ? ' (expired)' : ''}`,
      h.reason,
    ]),
  ))
    deps.out(line);
};

export const removeHold = async (
  command: Extract<AmictlCommand, { command: 'hold-remove' }>,
  deps: HoldCommandDeps,
): Promise<void> => {
  const released = await releaseHold(
    command.id,
    { by: command.by ?? deps.user ?? 'amictl', reason: command.reason },
    deps,
  );
  deps.out(
    `${released.hold.id} on ${holdTargetText(released.hold.target)} released at ${released.hold.releasedAt} ` +
      `(deregistration protection lifted from ${amis(released.unprotected.length)})`,
  );
  for (const kept of released.stillHeld)
    deps.out(
      `  ${kept.amiId} in ${kept.region} (${kept.family}@${kept.version}) stays protected: held by ${kept.holdIds.join(', ')}`,
    );
};
