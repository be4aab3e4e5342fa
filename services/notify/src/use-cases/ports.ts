import type { TopicMessage, TopicSubscription } from '@ami-lifecycle/aws';
import type { CatalogPort, Clock, Severity } from '@ami-lifecycle/core';

export type { TopicMessage, TopicSubscription };

/**
 * The topic side of SNS, as `SnsNotifications` of `@ami-lifecycle/aws` does it: publishing with the
 * `recipients` attribute, and the topic's email subscriptions.
 */
export interface NotifyTopic {
  publish(topicArn: string, message: TopicMessage): Promise<{ messageId: string }>;
  listSubscriptions(topicArn: string): Promise<TopicSubscription[]>;
  subscribeEmail(topicArn: string, address: string): Promise<{ subscriptionArn?: string }>;
  filterPolicyOf(subscriptionArn: string): Promise<{ filterPolicy?: string; scope?: string } | undefined>;
  setRecipientFilter(subscriptionArn: string, address: string): Promise<void>;
  unsubscribe(subscriptionArn: string): Promise<void>;
}

/** Who requested a build and is told its outcome, kept by the build's correlation id until it expires. */
export interface Originator {
  correlationId: string;
  /** Lower case; an address of a domain the policy lists under `notify.originators.domains`. */
  address: string;
  family: string;
  /** The build the request starts (`buildIdFor(family, idempotencyKey)`): the one whose outcome they are told. */
  buildId: string;
  requestedAt: string;
  /** When the record stops counting (and DynamoDB's TTL removes it). */
  expiresAt: string;
}

/** What the dead-letter check last told, so that it tells again only when the count changed. */
export interface DeadLetterNotice {
  /** The queue's depth when it was last looked at. */
  count: number;
  at: string;
  /** Whether that count was told (a count of 0 is never told). */
  told: boolean;
}

/** What the notify service keeps of its own in the catalog table. */
export interface NotifyStore {
  putOriginator(originator: Originator): Promise<void>;
  getOriginator(correlationId: string, now: Date): Promise<Originator | undefined>;
  /** Every originator whose record has not expired by `now`. */
  listOriginators(now: Date): Promise<Originator[]>;
  getDeadLetterNotice(): Promise<DeadLetterNotice | undefined>;
  putDeadLetterNotice(notice: DeadLetterNotice): Promise<void>;
}

/** One vulnerable package of a finding: its name, the build installed and the first build that fixes it. */
export interface VulnerablePackage {
  name: string;
  installed: string;
  /** Undefined when no fixed build is known (Inspector's `NotAvailable`). */
  fixedIn?: string;
}

/** An Inspector finding of an AMI's instance, with what a person needs to act on it. */
export interface FindingDetail {
  findingArn: string;
  /** The CVE (or GHSA, ALAS...) id; the finding's title when it has none. */
  vulnerabilityId: string;
  severity: Severity;
  status: 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';
  fixAvailable: boolean;
  /** Inspector's score, to order findings of one severity. */
  score?: number;
  instanceId?: string;
  /** The instance's tags as Inspector saw them: whose instance it is (`judgesImage`). */
  instanceTags: Readonly<Record<string, string>>;
  accountId?: string;
  packages: VulnerablePackage[];
  title?: string;
}

/** Inspector's findings of every instance launched from an AMI, any status. */
export interface FindingDetailsPort {
  /**
   * `vulnerabilityIds`, when given: only findings of these (Inspector filters them, up to ten ids; with more,
   * every finding of the AMI is read).
   */
  findingsOfImage(amiId: string, vulnerabilityIds?: readonly string[]): Promise<FindingDetail[]>;
}

/** The events dead-letter queue's depth. */
export interface QueueDepthPort {
  depth(): Promise<{ visible: number; inFlight: number; delayed: number }>;
}

/** What went wrong without stopping a message: an external topic that refused it, a subscription not made. */
export type Report = (what: string, detail: Record<string, unknown>) => void;

export interface NotifyDeps {
  catalog: CatalogPort;
  topic: NotifyTopic;
  /** The stage's own topic: every message goes there, to the addresses it names. */
  topicArn: string;
  store: NotifyStore;
  findings: FindingDetailsPort;
  clock: Clock;
  /** The home region: where images are built and inspected. */
  region: string;
  report?: Report;
}
