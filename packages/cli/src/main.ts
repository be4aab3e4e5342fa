// `npm run amictl -- ...`: the CLI against AWS, or the local cloud when AWS_ENDPOINT_URL points at it.
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { runAmictl } from './amictl';
import { amictlDepsFromEnv } from './wiring';

/**
 * A yes/no question on the terminal (on stderr, so that stdout stays the answer). Only "y" or "yes" is
 * yes; Ctrl-C and Ctrl-D are no.
 */
const askOnTerminal = async (question: string): Promise<boolean> => {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const asked = new AbortController();
  terminal.on('SIGINT', () => asked.abort());
  terminal.on('close', () => asked.abort());
  try {
    const answer = await terminal.question(`${question} [y/N] `, { signal: asked.signal });
    return /^\s*y(es)?\s*$/i.test(answer);
  } catch (error) {
    if (asked.signal.aborted) {
      process.stderr.write('\n');
      return false;
    }
    throw error;
  } finally {
    terminal.close();
  }
};

const main = async () => {
  const deps = amictlDepsFromEnv(process.env, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    // Colour only on a terminal, and never with NO_COLOR set (useColor).
    stdoutIsTTY: process.stdout.isTTY,
    // Only a terminal can be asked; without one, retention apply needs --yes.
    confirm: process.stdin.isTTY ? askOnTerminal : undefined,
    user: process.env.USER ?? userInfo().username,
  });
  process.exitCode = await runAmictl(process.argv.slice(2), deps);
};

// runAmictl answers every failure it can name with its exit code; what is left is unexpected (exit 4).
main().catch((error: unknown) => {
  console.error(error instanceof Error ? `amictl: ${error.name}: ${error.message}` : error);
  process.exitCode = 4;
});
