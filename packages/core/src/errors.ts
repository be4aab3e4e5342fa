/**
 * Base of every domain error. Subclasses end in `Error`, set `name`, and keep `cause`, so one place
 * (the lambda kit) can decide retry, reject or drop by class.
 */
export abstract class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A refusal the same input meets on every attempt: the event is not ours, names what does not exist, or
 * contradicts the catalog. Retrying cannot help, so the handler stack sends the event to the dead-letter
 * queue at once instead of letting it be retried for a day; a step of a state machine rethrows it for the
 * machine's Catch (Retry never names these errors).
 */
export abstract class PermanentError extends DomainError {}

/** A lifecycle transition that the table does not allow. */
export class IllegalTransitionError extends DomainError {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly why: string,
  ) {
    super(`illegal lifecycle transition ${from} -> ${to}: ${why}`);
  }
}

/** An input did not match its schema; `issues` lists every problem with its path. */
export class ValidationError extends PermanentError {
  constructor(
    readonly subject: string,
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${subject} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      options,
    );
  }
}

/** A version string that does not follow the family's scheme. */
export class InvalidVersionError extends PermanentError {}

/** A name that EC2 would refuse as an AMI name. */
export class InvalidAmiNameError extends PermanentError {}
