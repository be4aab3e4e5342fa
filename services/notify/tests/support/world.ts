import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECIPIENTS_ATTRIBUTE, recipientFilterPolicy, recipientOfFilterPolicy } from '@ami-lifecycle/aws';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import {
  fixedClock,
  type Image,
  organizationConfigOf,
  type Policy,
  parsePolicy,
  type Severity,
} from '@ami-lifecycle/core';
import {
  type FindingDetail,
  type FindingDetailsPort,
  MemoryNotifyStore,
  type NotifyDeps,
  type NotifyTopic,
  type TopicMessage,
  type TopicSubscription,
} from '../../src';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

export const HOME = 'eu-west-1';
export const START = '2026-03-01T10:00:00.000Z';
export const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:ami-lifecycle-test-notifications';
export const GOLDEN = 'golden-al2023';
export const VERSION = '2026.03.01.1';
export const AMI = 'ami-0123456789abcdef0';

/** The example policy, parsed as `amictl config apply` reads it. */
export const examplePolicy = (): Policy =>
  parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml');

interface FakeSubscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  pending: boolean;
  filterPolicy?: string;
  scope?: string;
}

/**
 * SNS as the notify service sees it, in memory: topics that take messages (or refuse them), email
 * subscriptions that wait for their confirmation and deliver what their filter policy lets through, as SNS
 * matches a `String.Array` attribute (any element).
 */
export class FakeTopic implements NotifyTopic {
  readonly subscriptions: FakeSubscription[] = [];
  readonly published: { topicArn: string; message: TopicMessage; messageId: string }[] = [];
  /** Topics that refuse Publish, with the error they answer. */
  readonly refusing = new Map<string, Error>();
  private n = 0;

  async publish(topicArn: string, message: TopicMessage): Promise<{ messageId: string }> {
    const refusal = this.refusing.get(topicArn);
    if (refusal) throw refusal;
    if (message.subject.length > 100 || /[^\x20-\x7e]/.test(message.subject)) {
      throw new Error(`Invalid parameter: Subject ${JSON.stringify(message.subject)}`);
    }
    const messageId = `msg-${++this.n}`;
    this.published.push({
      topicArn,
      message: { ...message, recipients: [...message.recipients] },
      messageId,
    });
    return { messageId };
  }

  async listSubscriptions(topicArn: string): Promise<TopicSubscription[]> {
    return this.subscriptions
      .filter((s) => s.topicArn === topicArn)
      .map((s) => ({
        ...(s.pending ? {} : { subscriptionArn: s.arn }),
        protocol: s.protocol,
        endpoint: s.endpoint,
        pending: s.pending,
      }));
  }

  async subscribeEmail(topicArn: string, address: string): Promise<{ subscriptionArn?: string }> {
    const found = this.subscriptions.find((s) => s.topicArn === topicArn && s.endpoint === address);
    if (found) return found.pending ? {} : { subscriptionArn: found.arn };
    this.add({
      topicArn,
      protocol: 'email',
      endpoint: address,
      pending: true,
      filterPolicy: recipientFilterPolicy(address),
      scope: 'MessageAttributes',
    });
    return {};
  }

  async filterPolicyOf(arn: string) {
    const s = this.subscriptions.find((x) => x.arn === arn);
    if (!s) return undefined;
    return {
      ...(s.filterPolicy === undefined ? {} : { filterPolicy: s.filterPolicy }),
      ...(s.scope === undefined ? {} : { scope: s.scope }),
    };
  }

  async setRecipientFilter(arn: string, address: string): Promise<void> {
    const s = this.subscriptions.find((x) => x.arn === arn);
    if (!s) throw new Error('NotFound');
    s.filterPolicy = recipientFilterPolicy(address);
    s.scope = 'MessageAttributes';
  }

  async unsubscribe(arn: string): Promise<void> {
    const i = this.subscriptions.findIndex((x) => x.arn === arn);
    if (i >= 0) this.subscriptions.splice(i, 1);
  }

  /** A subscription made by someone else (or by the service, given its filter policy). */
  add(s: Omit<FakeSubscription, 'arn'>): FakeSubscription {
    const made = { ...s, arn: `${s.topicArn}:sub-${++this.n}` };
    this.subscriptions.push(made);
    return made;
  }

  /** The recipient clicks the link. */
  confirm(address: string, topicArn = TOPIC): void {
    const s = this.subscriptions.find((x) => x.topicArn === topicArn && x.endpoint === address);
    if (!s) throw new Error(`${address} has no subscription`);
    s.pending = false;
  }

  confirmAll(): void {
    for (const s of this.subscriptions) s.pending = false;
  }

  /** The subjects an address received: its confirmed subscriptions' messages that pass their filter. */
  receivedBy(address: string): TopicMessage[] {
    return this.published.flatMap(({ topicArn, message }) =>
      this.subscriptions.some(
        (s) =>
          s.topicArn === topicArn &&
          s.endpoint === address &&
          !s.pending &&
          (s.filterPolicy === undefined ||
            message.recipients.includes(recipientOfFilterPolicy(s.filterPolicy, s.scope) ?? '\u0000')),
      )
        ? [message]
        : [],
    );
  }
}

export class FakeFindings implements FindingDetailsPort {
  readonly byAmi = new Map<string, FindingDetail[]>();
  failure: Error | undefined;

  /** The vulnerability ids each read asked for (undefined: every finding of the AMI). */
  readonly asked: (readonly string[] | undefined)[] = [];

  async findingsOfImage(amiId: string, vulnerabilityIds?: readonly string[]): Promise<FindingDetail[]> {
    this.asked.push(vulnerabilityIds);
    if (this.failure) throw this.failure;
    const all = this.byAmi.get(amiId) ?? [];
    // As Inspector's filter: only those ids, when there are one to ten of them.
    const ids = new Set(vulnerabilityIds ?? []);
    return ids.size > 0 && ids.size <= 10 ? all.filter((f) => ids.has(f.vulnerabilityId)) : all;
  }

  add(amiId: string, f: Partial<FindingDetail> & { vulnerabilityId: string; severity: Severity }): void {
    const list = this.byAmi.get(amiId) ?? [];
    list.push({
      findingArn: `arn:aws:inspector2:eu-west-1:111111111111:finding/${(list.length + 1).toString(16).padStart(8, '0')}`,
      status: 'ACTIVE',
      fixAvailable: true,
      instanceTags: {},
      packages: [],
      ...f,
    });
    this.byAmi.set(amiId, list);
  }
}

export interface World {
  catalog: InMemoryCatalog;
  topic: FakeTopic;
  store: MemoryNotifyStore;
  findings: FakeFindings;
  clock: ReturnType<typeof fixedClock>;
  deps: NotifyDeps;
  reports: { what: string; detail: Record<string, unknown> }[];
  policy: Policy;
  /** Registers an image in `state` with the AMI `AMI` in the home region, audited under `correlationId`. */
  image(
    family: string,
    version: string,
    opts?: { state?: Image['state']; correlationId?: string; patch?: Partial<Image> },
  ): Promise<Image>;
}

/**
 * The example's policy stored (organisation and families, with `change` applied first), an empty catalog and
 * topic, the clock at START.
 */
export const createWorld = async (change: (policy: Policy) => Policy = (p) => p): Promise<World> => {
  const policy = change(examplePolicy());
  const clock = fixedClock(START);
  const catalog = new InMemoryCatalog();
  for (const [name, config] of Object.entries(policy.families)) {
    await catalog.putFamilyConfig(
      name,
      { ...config, name },
      { expectedCurrent: null, at: START, by: 'test' },
    );
  }
  await catalog.putOrganizationConfig(organizationConfigOf(policy), {
    expectedCurrent: null,
    at: START,
    by: 'test',
  });
  const topic = new FakeTopic();
  const store = new MemoryNotifyStore();
  const findings = new FakeFindings();
  const reports: World['reports'] = [];
  const deps: NotifyDeps = {
    catalog,
    topic,
    topicArn: TOPIC,
    store,
    findings,
    clock,
    region: HOME,
    report: (what, detail) => reports.push({ what, detail }),
  };
  const image: World['image'] = async (family, version, opts = {}) => {
    const at = clock.now().toISOString();
    const stored = await catalog.getFamilyConfig(family);
    const made: Image = {
      family,
      version,
      state: opts.state ?? 'inspecting',
      stateVersion: 0,
      amiIds: { [HOME]: AMI },
      snapshotIds: [],
      buildId: `build-${family}`,
      vulnerable: false,
      managed: true,
      createdAt: at,
      stateChangedAt: at,
      ...(stored === undefined ? {} : { configVersion: stored.version }),
      ...opts.patch,
    };
    await catalog.createImage(made, {
      actor: 'test',
      reason: 'built',
      correlationId: opts.correlationId ?? `corr-${family}`,
    });
    return made;
  };
  return { catalog, topic, store, findings, clock, deps, reports, policy, image };
};

export { RECIPIENTS_ATTRIBUTE };
