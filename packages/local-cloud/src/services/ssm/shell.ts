/**
 * The tiny shell that gives Run Command scripts effects on a simulated instance.
 *
 * It understands what image pipelines send through `AWS-RunShellScript` / `AWS-RunPowerShellScript`:
 *
 * | command | effect |
 * | --- | --- |
 * | `dnf\|yum install -y name` / `name-1.2.3` | installs the repository version / that version |
 * | `apt-get\|apt install -y name` / `name=1.2.3` | same, Debian spelling |
 * | `pkg-install name=1.2.3 …` / `pkg-remove name …` | explicit forms: exactly that version, any OS |
 * | `dnf\|yum remove\|erase -y name`, `apt-get remove\|purge -y name` | removes the package |
 * | `dnf\|yum update\|upgrade -y [--releasever=latest] [name …]`, `apt-get upgrade\|dist-upgrade\|full-upgrade -y` | upgrades every installed package (or the named ones) that `PACKAGE_REPOSITORIES` has newer |
 * | `dnf check-update` | lists pending upgrades; exit 100 when there are some, as dnf does |
 * | `apt-get update`, `dnf makecache`, `dnf clean all` | no effect |
 * | `echo text`, `Write-Output text` | writes `text` to stdout |
 * | `Write-Error text` | writes `text` to stderr and sets the exit code to 1 |
 * | `exit N` | ends the script with code N |
 * | `sleep N`, `Start-Sleep [-Seconds] N` | takes N simulated seconds |
 * | `true`, `:`, `false` | exit code 0, 0, 1 |
 * | `set -e` / `set +e` | stop / keep going after a failing command |
 * | anything else, and any pipeline (`a \| b`) | succeeds, writing `[local-cloud] simulated as a no-op: …` to stdout |
 *
 * Script semantics follow `sh` where it matters to callers: commands run one after another and a failing
 * command does NOT stop the script unless `set -e` is on (the script's exit code is the last command's);
 * `a && b`, `a || b` and `;` work; `sudo` and leading `VAR=value` assignments are ignored; `#` starts a
 * comment; a trailing `\` continues the line. Package managers refuse to act without `-y`/`--assumeyes`
 * (as they do without a terminal: the prompt reads end-of-file and aborts), and `dnf`/`yum` on a
 * Debian-family instance (or `apt-get` on an RPM one) fail with `command not found`, exit 127.
 */

export type ShellDialect = 'sh' | 'powershell';
export type PackageFamily = 'rpm' | 'deb';

/**
 * The newest version each package manager can install: what an OS update moves packages to, and what
 * `install name` without a version installs. Tests and the Inspector emulator read it to know what an
 * updated instance holds. Every package of the public images has an entry at least as new as the image's.
 */
export const PACKAGE_REPOSITORIES: Readonly<Record<PackageFamily, Readonly<Record<string, string>>>> = {
  // Amazon Linux 2023 (the `--releasever=latest` repository).
  rpm: {
    kernel: '6.1.115-126.197.amzn2023',
    openssl: '3.0.8-1.amzn2023.0.16',
    'openssh-server': '8.7p1-8.amzn2023.0.13',
    curl: '8.5.0-1.amzn2023.0.5',
    glibc: '2.34-117.amzn2023.0.1',
    'amazon-ssm-agent': '3.3.1142.0-1.amzn2023',
    sudo: '1.9.15-1.p5.amzn2023.0.1',
    nginx: '1.26.3-1.amzn2023.0.1',
    httpd: '2.4.62-1.amzn2023',
    jq: '1.7.1-49.amzn2023',
    git: '2.47.1-1.amzn2023.0.2',
    docker: '25.0.8-1.amzn2023.0.1',
    python3: '3.9.20-1.amzn2023.0.3',
    'python3.12': '3.12.6-1.amzn2023.0.1',
    'python3.12-pip': '23.2.1-4.amzn2023.0.3',
    'java-21-amazon-corretto-headless': '1:21.0.5+11-1.amzn2023.1',
  },
  // Ubuntu 24.04 (noble-updates / noble-security).
  deb: {
    'linux-image-aws': '6.8.0-1021.23',
    openssl: '3.0.13-0ubuntu3.5',
    'openssh-server': '1:9.6p1-3ubuntu13.8',
    curl: '8.5.0-2ubuntu10.6',
    libc6: '2.39-0ubuntu8.4',
    'amazon-ssm-agent': '3.3.1142.0',
    sudo: '1.9.15p5-3ubuntu5.24.04.1',
    nginx: '1.24.0-2ubuntu7.1',
    jq: '1.7.1-3build1',
    git: '1:2.43.0-1ubuntu7.1',
    'docker.io': '24.0.7-0ubuntu4.1',
  },
};

/** Simulated seconds a step takes; package work is slower than builtins, and updates scale with the work. */
export const STEP_SECONDS = {
  /** Builtins, echo, unknown commands. */
  command: 2,
  /** Each package installed or removed. */
  perPackage: 10,
  /** Resolving an update transaction, plus `perUpgrade` for each package it upgrades. */
  update: 30,
  perUpgrade: 5,
  /** `apt-get update`, `dnf makecache`, `dnf check-update`. */
  refresh: 5,
} as const;

/** Output is kept up to this size; SSM reports less (24,000 / 8,000 characters), so nothing visible is lost. */
const OUTPUT_CAP = 64_000;

/**
 * One package ordering for the whole cloud (epoch, then version, then release, rpm-style), shared with
 * Inspector2 so an OS update and a CVE's fixed version always agree on what "newer" means.
 */
export { compareVersions } from '../../package-versions';

import { compareVersions } from '../../package-versions';

/** Which package manager an instance has, judged from its inventory; undefined when it can't tell. */
export const packageFamily = (packages: ReadonlyMap<string, string>): PackageFamily | undefined => {
  if (packages.has('glibc') || [...packages.values()].some((v) => /\.amzn\d|\.el\d/.test(v))) return 'rpm';
  if (packages.has('libc6') || [...packages.values()].some((v) => /ubuntu|debian/.test(v))) return 'deb';
  return undefined;
};

/** One simple command of a script, with how it joins the one before it. */
export interface ShellStep {
  /** The command as written, for messages. */
  text: string;
  argv: string[];
  /** `;` or a new line: runs always; `&&`: only after success; `||`: only after failure. */
  joiner: 'always' | 'and' | 'or';
  /** Last command of an AND-OR list: only there does `set -e` end the script, as in sh. */
  listEnd: boolean;
  /** A pipeline (`a | b`) is simulated as one no-op. */
  pipeline: boolean;
}

type Token = { op: ';' | '&&' | '||' | '|' } | { word: string };

const lexLine = (line: string): Token[] => {
  const tokens: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      // An unterminated quote runs to the end of the line rather than failing the whole script.
      const stop = end === -1 ? line.length : end;
      word = (word ?? '') + line.slice(i + 1, stop);
      i = stop;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (/\s/.test(c)) {
      flush();
    } else if (c === ';' || c === '&' || c === '|') {
      flush();
      const two = line.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        tokens.push({ op: two });
        i++;
      } else if (c === '&') {
        // Background jobs finish "instantly" here; treat `&` like `;`.
        tokens.push({ op: ';' });
      } else {
        tokens.push({ op: c });
      }
    } else {
      word = (word ?? '') + c;
    }
  }
  flush();
  return tokens;
};

/** Splits a script into the simple commands it runs, in order. */
export const parseScript = (script: string): ShellStep[] => {
  const steps: ShellStep[] = [];
  // Backslash-newline (sh) and backtick-newline (PowerShell) continue a line.
  const lines = script.replace(/[\\`]\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines) {
    const tokens = lexLine(line);
    let joiner: ShellStep['joiner'] = 'always';
    let words: string[] = [];
    let pipeline = false;
    let start = steps.length;
    const end = (next: ShellStep['joiner'] | undefined) => {
      if (words.length > 0) {
        steps.push({ text: words.join(' '), argv: words, joiner, listEnd: false, pipeline });
      }
      words = [];
      pipeline = false;
      if (next === undefined || next === 'always') {
        const last = steps[steps.length - 1];
        if (last && steps.length > start) last.listEnd = true;
        start = steps.length;
      }
      joiner = next ?? 'always';
    };
    for (const t of tokens) {
      if ('word' in t) words.push(t.word);
      else if (t.op === '|') {
        // Kept in argv so the no-op message shows the pipeline as written; pipelines never run argv.
        pipeline = true;
        words.push('|');
      } else end(t.op === ';' ? 'always' : t.op === '&&' ? 'and' : 'or');
    }
    end(undefined);
  }
  return steps;
};

interface Outcome {
  stdout?: string;
  stderr?: string;
  exitCode: number;
  /** `exit`: the script ends here. */
  exits?: boolean;
}

/**
 * A script running on one instance. The Run Command emulator asks `next()` for the step to run and how
 * long it takes, waits that long on the simulated clock, then calls `run(step)`, which applies the step's
 * effects to the instance's package inventory; the split lets effects land when the step finishes.
 */
export class ShellSession {
  stdout = '';
  stderr = '';
  exitCode = 0;
  private errexit = false;
  private index = 0;
  private ended = false;
  private readonly steps: ShellStep[];

  constructor(
    script: string,
    private readonly packages: Map<string, string>,
    private readonly dialect: ShellDialect = 'sh',
  ) {
    this.steps = parseScript(script);
  }

  /** The next step to run and its duration in simulated seconds, or undefined once the script has ended. */
  next(): { step: ShellStep; seconds: number } | undefined {
    while (!this.ended && this.index < this.steps.length) {
      const step = this.steps[this.index]!;
      const skip =
        (step.joiner === 'and' && this.exitCode !== 0) || (step.joiner === 'or' && this.exitCode === 0);
      if (!skip) return { step, seconds: this.secondsFor(step) };
      this.index++;
    }
    this.ended = true;
    return undefined;
  }

  /** Runs the step `next()` returned; true when the script has ended (by `exit`, `set -e` or its end). */
  run(step: ShellStep): boolean {
    this.index++;
    const out = this.execute(step);
    this.write(out.stdout, out.stderr);
    this.exitCode = out.exitCode;
    if (out.exits || (this.errexit && step.listEnd && out.exitCode !== 0)) this.ended = true;
    return this.ended || this.next() === undefined;
  }

  private write(stdout = '', stderr = '') {
    if (stdout) this.stdout = (this.stdout + stdout).slice(0, OUTPUT_CAP);
    if (stderr) this.stderr = (this.stderr + stderr).slice(0, OUTPUT_CAP);
  }

  private secondsFor(step: ShellStep): number {
    const argv = commandWords(step.argv);
    if (step.pipeline || argv.length === 0) return STEP_SECONDS.command;
    const [cmd, ...args] = argv;
    const name = cmd!.toLowerCase();
    if (name === 'sleep' || name === 'start-sleep') return parseSleep(args) ?? STEP_SECONDS.command;
    const pm = this.packageCommand(argv);
    if (!pm) return STEP_SECONDS.command;
    switch (pm.action) {
      case 'install':
      case 'remove':
        return Math.max(1, pm.names.length) * STEP_SECONDS.perPackage;
      case 'upgrade':
        return (
          STEP_SECONDS.update + this.pendingUpgrades(pm.family, pm.names).length * STEP_SECONDS.perUpgrade
        );
      default:
        return STEP_SECONDS.refresh;
    }
  }

  private execute(step: ShellStep): Outcome {
    if (step.pipeline) return noOp(step.text);
    const argv = commandWords(step.argv);
    if (argv.length === 0) return { exitCode: 0 };
    const [cmd, ...args] = argv;
    switch (cmd!.toLowerCase()) {
      case 'true':
      case ':':
        return { exitCode: 0 };
      case 'false':
        return { exitCode: 1 };
      case 'echo':
      case 'write-output':
      case 'write-host': {
        // `echo x > file` / `>> file` writes to the file, not stdout; `2>` redirects nothing echo writes.
        const redirect = args.findIndex((a) => /^(1?>|>>|&>)/.test(a));
        const words = (redirect === -1 ? args : args.slice(0, redirect)).filter(
          (a) => !/^-[neE]+$/.test(a) && !/^2>/.test(a),
        );
        return redirect === -1 ? { stdout: `${words.join(' ')}\n`, exitCode: 0 } : { exitCode: 0 };
      }
      case 'write-error':
        return { stderr: `${args.join(' ')}\n`, exitCode: 1 };
      case 'exit': {
        const n = args[0] === undefined ? this.exitCode : Number.parseInt(args[0], 10);
        if (Number.isNaN(n))
          return { stderr: `exit: ${args[0]}: numeric argument required\n`, exitCode: 2, exits: true };
        // sh exit codes are one byte; PowerShell passes the integer through.
        return { exitCode: this.dialect === 'sh' ? ((n % 256) + 256) % 256 : n, exits: true };
      }
      case 'sleep':
      case 'start-sleep':
        return parseSleep(args) === undefined
          ? { stderr: `${cmd}: invalid time interval '${args.join(' ')}'\n`, exitCode: 1 }
          : { exitCode: 0 };
      case 'set':
        for (const a of args) {
          if (/^-[a-z]*e/.test(a) || a === 'errexit') this.errexit = true;
          if (/^\+[a-z]*e/.test(a)) this.errexit = false;
        }
        return { exitCode: 0 };
      default: {
        const pm = this.packageCommand(argv);
        return pm ? this.packageOperation(pm) : noOp(step.text);
      }
    }
  }

  private packageCommand(argv: string[]): PackageCommand | undefined {
    return parsePackageCommand(argv, packageFamily(this.packages));
  }

  private pendingUpgrades(family: PackageFamily, only: string[]): Array<[string, string, string]> {
    const repo = PACKAGE_REPOSITORIES[family];
    const out: Array<[string, string, string]> = [];
    for (const [name, installed] of this.packages) {
      const latest = repo[name];
      if (only.length > 0 && !only.includes(name)) continue;
      if (latest !== undefined && compareVersions(latest, installed) > 0) out.push([name, installed, latest]);
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private packageOperation(pm: PackageCommand): Outcome {
    if (pm.notFound) return { stderr: `${pm.tool}: command not found\n`, exitCode: 127 };
    const apt = pm.tool === 'apt-get' || pm.tool === 'apt';
    const repo = PACKAGE_REPOSITORIES[pm.family];
    const refuse = (): Outcome =>
      apt
        ? { stdout: 'Do you want to continue? [Y/n] Abort.\n', exitCode: 1 }
        : { stdout: 'Is this ok [y/N]: Operation aborted.\n', exitCode: 1 };
    switch (pm.action) {
      case 'refresh':
        return { stdout: apt ? 'Reading package lists... Done\n' : 'Metadata cache created.\n', exitCode: 0 };
      case 'check': {
        const pending = this.pendingUpgrades(pm.family, pm.names);
        return {
          stdout: pending.map(([n, , v]) => `${n}  ${v}\n`).join(''),
          exitCode: pending.length > 0 ? 100 : 0,
        };
      }
      case 'install': {
        const plan: Array<[string, string]> = [];
        let notes = '';
        for (const spec of pm.specs) {
          // dnf leaves an installed package alone unless a version is named; apt moves it to the candidate.
          const installed = this.packages.get(spec.name);
          if (!apt && !pm.explicit && spec.version === undefined && installed !== undefined) {
            notes += `Package ${spec.name}-${installed} is already installed.\n`;
            continue;
          }
          const version = spec.version ?? (pm.explicit ? undefined : repo[spec.name]);
          if (version === undefined) {
            return apt
              ? { stderr: `E: Unable to locate package ${spec.name}\n`, exitCode: 100 }
              : { stderr: `Error: Unable to find a match: ${spec.name}\n`, exitCode: 1 };
          }
          if (this.packages.get(spec.name) !== version) plan.push([spec.name, version]);
        }
        if (plan.length === 0) return { stdout: `${notes}Nothing to do.\nComplete!\n`, exitCode: 0 };
        if (!pm.assumeYes) return refuse();
        for (const [name, version] of plan) this.packages.set(name, version);
        return {
          stdout: `${notes}${plan.map(([n, v]) => (apt ? `Setting up ${n} (${v}) ...\n` : `Installed: ${n}-${v}\n`)).join('')}${apt ? '' : 'Complete!\n'}`,
          exitCode: 0,
        };
      }
      case 'remove': {
        const present = pm.names.filter((n) => this.packages.has(n));
        const missing = pm.names.filter((n) => !this.packages.has(n));
        const notes = missing.map((n) =>
          apt ? `Package '${n}' is not installed, so not removed\n` : `No match for argument: ${n}\n`,
        );
        if (present.length === 0) return { stdout: `${notes.join('')}Nothing to do.\n`, exitCode: 0 };
        if (!pm.assumeYes) return refuse();
        for (const n of present) this.packages.delete(n);
        return { stdout: `${notes.join('')}${present.map((n) => `Removed: ${n}\n`).join('')}`, exitCode: 0 };
      }
      case 'upgrade': {
        const pending = this.pendingUpgrades(pm.family, pm.names);
        if (pending.length === 0)
          return { stdout: 'Dependencies resolved.\nNothing to do.\nComplete!\n', exitCode: 0 };
        if (!pm.assumeYes) return refuse();
        for (const [name, , latest] of pending) this.packages.set(name, latest);
        const lines = pending.map(([n, from, to]) => `Upgraded: ${n} ${from} -> ${to}\n`).join('');
        return {
          stdout: apt
            ? `${lines}${pending.length} upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n`
            : `${lines}Complete!\n`,
          exitCode: 0,
        };
      }
    }
  }
}

interface PackageSpec {
  name: string;
  version?: string | undefined;
}

interface PackageCommand {
  tool: string;
  family: PackageFamily;
  action: 'install' | 'remove' | 'upgrade' | 'refresh' | 'check';
  specs: PackageSpec[];
  names: string[];
  assumeYes: boolean;
  /** `pkg-install`: versions are exact and any name is accepted. */
  explicit: boolean;
  /** The tool doesn't exist on this instance's OS family. */
  notFound: boolean;
}

const DNF_ACTIONS: Record<string, PackageCommand['action']> = {
  install: 'install',
  reinstall: 'install',
  remove: 'remove',
  erase: 'remove',
  update: 'upgrade',
  upgrade: 'upgrade',
  'upgrade-minimal': 'upgrade',
  'update-minimal': 'upgrade',
  'distro-sync': 'upgrade',
  makecache: 'refresh',
  clean: 'refresh',
  'check-update': 'check',
  'check-upgrade': 'check',
};

const APT_ACTIONS: Record<string, PackageCommand['action']> = {
  install: 'install',
  reinstall: 'install',
  remove: 'remove',
  purge: 'remove',
  autoremove: 'refresh',
  upgrade: 'upgrade',
  'dist-upgrade': 'upgrade',
  'full-upgrade': 'upgrade',
  update: 'refresh',
  clean: 'refresh',
};

/** Options of apt-get that take the next word as their value. */
const APT_VALUE_OPTIONS = new Set(['-o', '-c', '-t', '--option', '--config-file', '--target-release']);

/**
 * `name-1.2.3` (rpm) splits into name and version only when the tail looks like a version (digit first,
 * with a dot), so `openssh-server` or `java-17-amazon-corretto` stay whole names.
 */
const rpmSpec = (spec: string, repo: Readonly<Record<string, string>>): PackageSpec => {
  if (repo[spec] !== undefined) return { name: spec };
  const m = /^(.+?)-(\d[\w.+~^]*\.[\w.+~^]*(?:-[\w.+~^]+)?)$/.exec(spec);
  return m ? { name: m[1]!, version: m[2]! } : { name: spec };
};

const parsePackageCommand = (
  argv: string[],
  family: PackageFamily | undefined,
): PackageCommand | undefined => {
  const [tool, ...rest] = argv;
  const t = tool!.toLowerCase();
  if (t === 'pkg-install' || t === 'pkg-remove') {
    const specs = rest.map((s) => {
      const i = s.indexOf('=');
      return i > 0 ? { name: s.slice(0, i), version: s.slice(i + 1) } : { name: s };
    });
    return {
      tool: t,
      family: family ?? 'rpm',
      action: t === 'pkg-install' ? 'install' : 'remove',
      specs,
      names: specs.map((s) => s.name),
      assumeYes: true,
      explicit: true,
      notFound: false,
    };
  }
  const isDnf = t === 'dnf' || t === 'yum';
  const isApt = t === 'apt-get' || t === 'apt';
  if (!isDnf && !isApt) return undefined;
  const own: PackageFamily = isDnf ? 'rpm' : 'deb';
  const words: string[] = [];
  let assumeYes = false;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '-y' || w === '--yes' || w === '--assumeyes' || /^-[a-z]*y[a-z]*$/.test(w)) assumeYes = true;
    else if (isApt && APT_VALUE_OPTIONS.has(w)) i++;
    else if (!w.startsWith('-')) words.push(w);
  }
  const [sub, ...args] = words;
  const action = sub ? (isDnf ? DNF_ACTIONS : APT_ACTIONS)[sub] : undefined;
  if (!action) return undefined;
  const repo = PACKAGE_REPOSITORIES[own];
  const specs = args.map((a): PackageSpec => {
    if (isDnf) return rpmSpec(a, repo);
    const i = a.indexOf('=');
    return i > 0 ? { name: a.slice(0, i), version: a.slice(i + 1) } : { name: a };
  });
  return {
    tool: t,
    family: own,
    action,
    specs,
    names: specs.map((s) => s.name),
    assumeYes,
    explicit: false,
    notFound: family !== undefined && family !== own,
  };
};

/** Drops `sudo` (and its flags) and leading `VAR=value` assignments, which change nothing here. */
const commandWords = (argv: string[]): string[] => {
  let i = 0;
  for (;;) {
    const w = argv[i];
    if (w === undefined) return [];
    if (w === 'sudo') {
      i++;
      while (argv[i]?.startsWith('-')) i++;
    } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
    } else {
      return argv.slice(i);
    }
  }
};

/** `sleep 5`, `sleep 1.5`, `sleep 2m`, `Start-Sleep -Seconds 5`, `Start-Sleep 5`; undefined if invalid. */
const parseSleep = (args: string[]): number | undefined => {
  const words = args.filter((a) => !/^-(s|seconds)$/i.test(a));
  if (words.length === 0) return undefined;
  let total = 0;
  for (const w of words) {
    const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(w);
    if (!m) return undefined;
    total += Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  }
  return total;
};

const noOp = (text: string): Outcome => ({
  stdout: `[local-cloud] simulated as a no-op: ${text}\n`,
  exitCode: 0,
});

/**
 * Runs a whole script at once and reports how long it would have taken: for tests of the interpreter and
 * for callers that want a script's effect without the clock. Run Command itself steps through
 * `ShellSession` so effects land over simulated time.
 */
export const runScript = (
  script: string,
  packages: Map<string, string>,
  dialect: ShellDialect = 'sh',
): { stdout: string; stderr: string; exitCode: number; seconds: number } => {
  const session = new ShellSession(script, packages, dialect);
  let seconds = 0;
  for (let next = session.next(); next; next = session.next()) {
    seconds += next.seconds;
    if (session.run(next.step)) break;
  }
  return { stdout: session.stdout, stderr: session.stderr, exitCode: session.exitCode, seconds };
};
