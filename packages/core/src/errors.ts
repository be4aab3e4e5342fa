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
export class ValidationError extends DomainError {
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
export class InvalidVersionError extends DomainError {}

/** A name that EC2 would refuse as an AMI name. */
export class InvalidAmiNameError extends DomainError {}
