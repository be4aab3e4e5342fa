// The mail of `npm start`: what the local cloud's SNS delivered to email addresses since the last look,
// printed under the step that caused it. The people of the story click the link of each subscription's
// confirmation mail as it arrives, as a recipient would, so that what follows reaches them.
import type { LocalCloud, SnsDelivery } from '@ami-lifecycle/local-cloud';
import type { Story } from './story-log';

/** How many lines of a message's body the story shows under its subject. */
const BODY_LINES = 4;

export interface MailSummary {
  /** Notifications delivered to email addresses, by address. */
  delivered: Map<string, number>;
  /** Subscriptions the story confirmed for their recipients. */
  confirmed: string[];
}

export class StoryMail {
  private seen = 0;
  private flushing = false;
  readonly summary: MailSummary = { delivered: new Map(), confirmed: [] };

  constructor(
    private readonly cloud: Pick<LocalCloud, 'sns'>,
    private readonly story: Story,
  ) {}

  /** Prints what arrived since the last call and confirms the subscriptions asked for in it. */
  flush(): void {
    // Printing a mail prints a line, and the story looks at the mail after every line it prints.
    if (this.flushing) return;
    this.flushing = true;
    try {
      const all = this.cloud.sns.messages();
      const fresh = all.slice(this.seen);
      this.seen = all.length;
      for (const mail of fresh) {
        if (mail.protocol !== 'email' && mail.protocol !== 'email-json') continue;
        if (mail.kind === 'confirmation') this.confirm(mail);
        else this.show(mail);
      }
    } finally {
      this.flushing = false;
    }
  }

  private confirm(mail: SnsDelivery): void {
    this.cloud.sns.confirm({ subscriptionArn: mail.subscriptionArn });
    this.summary.confirmed.push(mail.endpoint);
    this.story.at(`mail to ${mail.endpoint}: subscription confirmation; they confirm it`, mail.at);
  }

  private show(mail: SnsDelivery): void {
    if (mail.status !== 'delivered') {
      this.story.at(`mail to ${mail.endpoint} failed: ${mail.error ?? 'no reason given'}`, mail.at);
      return;
    }
    const { delivered } = this.summary;
    delivered.set(mail.endpoint, (delivered.get(mail.endpoint) ?? 0) + 1);
    this.story.at(
      `mail to ${mail.endpoint}: ${mail.subject ?? mail.email?.subject ?? '(no subject)'}`,
      mail.at,
    );
    const lines = mail.message.split('\n').filter((l) => l.trim() !== '');
    for (const line of lines.slice(0, BODY_LINES)) this.story.more(`| ${line}`);
    if (lines.length > BODY_LINES) this.story.more(`| ... ${lines.length - BODY_LINES} more lines`);
  }
}
