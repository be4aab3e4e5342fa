import fc from 'fast-check';
import { PUBLIC_IMAGES } from '../src/services/ec2/public-images';
import {
  compareVersions,
  PACKAGE_REPOSITORIES,
  packageFamily,
  parseScript,
  runScript,
  STEP_SECONDS,
} from '../src/services/ssm/shell';

const al2023 = () => new Map(Object.entries(PUBLIC_IMAGES[0]!.packages));
const ubuntu = () => new Map(Object.entries(PUBLIC_IMAGES[2]!.packages));

describe('the Run Command shell emulator', () => {
  describe('script semantics', () => {
    it('echoes text to stdout and ends with the last exit code', () => {
      const r = runScript('echo "hello world"\necho second', new Map());
      expect(r).toMatchObject({ stdout: 'hello world\nsecond\n', stderr: '', exitCode: 0 });
      expect(r.seconds).toBe(2 * STEP_SECONDS.command);
    });

    it('keeps going after a failing command unless set -e is on, as sh does', () => {
      expect(runScript('false\necho after', new Map())).toMatchObject({ stdout: 'after\n', exitCode: 0 });
      expect(runScript('set -e\nfalse\necho after', new Map())).toMatchObject({ stdout: '', exitCode: 1 });
    });

    it('writes nothing to stdout for echo redirected to a file', () => {
      expect(runScript('echo banner > /etc/motd\necho shown 2>/dev/null', new Map()).stdout).toBe('shown\n');
    });

    it('stops at exit N with that code', () => {
      expect(runScript('echo a\nexit 3\necho b', new Map())).toMatchObject({ stdout: 'a\n', exitCode: 3 });
    });

    it('honours && and || chains, and set -e only at the end of a list', () => {
      expect(runScript('false && echo no || echo yes', new Map())).toMatchObject({
        stdout: 'yes\n',
        exitCode: 0,
      });
      expect(runScript('set -e\nfalse && echo no\necho still', new Map())).toMatchObject({
        stdout: 'still\n',
        exitCode: 0,
      });
      expect(runScript('true; echo one; echo two', new Map()).stdout).toBe('one\ntwo\n');
    });

    it('takes sleep N as N simulated seconds', () => {
      expect(runScript('sleep 90', new Map()).seconds).toBe(90);
      expect(runScript('sleep 2m', new Map()).seconds).toBe(120);
      expect(runScript('Start-Sleep -Seconds 7', new Map(), 'powershell').seconds).toBe(7);
    });

    it('simulates unknown commands and pipelines as successful no-ops and says so', () => {
      const r = runScript('systemctl restart nginx\ncat /etc/os-release | grep ID', new Map());
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(
        '[local-cloud] simulated as a no-op: systemctl restart nginx\n[local-cloud] simulated as a no-op: cat /etc/os-release | grep ID\n',
      );
    });

    it('ignores comments, blank lines, sudo and environment assignments', () => {
      const packages = ubuntu();
      const r = runScript('# prepare\n\nsudo DEBIAN_FRONTEND=noninteractive apt-get install -y jq', packages);
      expect(r.exitCode).toBe(0);
      expect(packages.get('jq')).toBe(PACKAGE_REPOSITORIES.deb.jq);
    });

    it('joins backslash-continued lines', () => {
      expect(parseScript('dnf install -y \\\n  nginx').map((s) => s.argv)).toEqual([
        ['dnf', 'install', '-y', 'nginx'],
      ]);
    });

    it('speaks a little PowerShell', () => {
      const r = runScript('Write-Output "ready"\nWrite-Error "bad"\nexit 5', new Map(), 'powershell');
      expect(r).toMatchObject({ stdout: 'ready\n', stderr: 'bad\n', exitCode: 5 });
    });
  });

  describe('packages', () => {
    it('installs a pinned version with dnf name-version', () => {
      const packages = al2023();
      expect(runScript('dnf install -y nginx-1.24.0-1.amzn2023.0.4', packages).exitCode).toBe(0);
      expect(packages.get('nginx')).toBe('1.24.0-1.amzn2023.0.4');
    });

    it('installs the repository version with yum name', () => {
      const packages = al2023();
      runScript('yum install -y httpd', packages);
      expect(packages.get('httpd')).toBe(PACKAGE_REPOSITORIES.rpm.httpd);
    });

    it('installs with apt-get name=version and pkg-install name=version', () => {
      const packages = ubuntu();
      runScript('apt-get install -y nginx=1.24.0-2ubuntu7', packages);
      runScript('pkg-install agent=1.2.3 other=4.5', packages);
      expect(packages.get('nginx')).toBe('1.24.0-2ubuntu7');
      expect(packages.get('agent')).toBe('1.2.3');
      expect(packages.get('other')).toBe('4.5');
    });

    it('keeps names whose tail is not a version whole', () => {
      const packages = al2023();
      runScript('dnf install -y openssh-server java-17-amazon-corretto-17.0.13', packages);
      expect(packages.get('java-17-amazon-corretto')).toBe('17.0.13');
    });

    it('leaves an installed package alone on dnf install without a version, as dnf does', () => {
      const packages = al2023();
      const before = packages.get('curl');
      const r = runScript('dnf install -y curl', packages);
      expect(r).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('is already installed') });
      expect(packages.get('curl')).toBe(before);
    });

    it('fails to install a package no repository has, with the package manager’s message', () => {
      const r = runScript('dnf install -y no-such-thing', al2023());
      expect(r).toMatchObject({ exitCode: 1, stderr: 'Error: Unable to find a match: no-such-thing\n' });
      expect(runScript('apt-get install -y no-such-thing', ubuntu()).exitCode).toBe(100);
    });

    it('aborts without -y, as package managers do when no one answers the prompt', () => {
      const packages = al2023();
      const r = runScript('dnf install nginx', packages);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('Operation aborted');
      expect(packages.has('nginx')).toBe(false);
    });

    it('removes a package', () => {
      const packages = al2023();
      runScript('dnf remove -y curl', packages);
      expect(packages.has('curl')).toBe(false);
    });

    it('upgrades every package the repository has newer on an OS update', () => {
      const packages = al2023();
      const r = runScript('dnf upgrade -y --releasever=latest', packages);
      expect(r.exitCode).toBe(0);
      for (const [name, version] of packages) {
        const latest = PACKAGE_REPOSITORIES.rpm[name];
        if (latest) expect(version).toBe(latest);
      }
      expect(packages.get('kernel')).toBe(PACKAGE_REPOSITORIES.rpm.kernel);
      // The transaction takes longer the more it upgrades.
      expect(r.seconds).toBeGreaterThan(STEP_SECONDS.update);
    });

    it('never downgrades a package newer than the repository', () => {
      const packages = al2023();
      packages.set('curl', '99.0.0-1');
      runScript('dnf update -y', packages);
      expect(packages.get('curl')).toBe('99.0.0-1');
    });

    it('upgrades only the named packages when given names', () => {
      const packages = al2023();
      const before = packages.get('kernel');
      runScript('dnf update -y openssl', packages);
      expect(packages.get('openssl')).toBe(PACKAGE_REPOSITORIES.rpm.openssl);
      expect(packages.get('kernel')).toBe(before);
    });

    it('upgrades Ubuntu packages with apt-get upgrade', () => {
      const packages = ubuntu();
      const r = runScript('apt-get update\napt-get upgrade -y', packages);
      expect(r.exitCode).toBe(0);
      expect(packages.get('openssl')).toBe(PACKAGE_REPOSITORIES.deb.openssl);
      expect(r.stdout).toMatch(/\d+ upgraded, 0 newly installed/);
    });

    it('reports pending updates with dnf check-update exit 100', () => {
      const packages = al2023();
      expect(runScript('dnf check-update', packages).exitCode).toBe(100);
      runScript('dnf update -y', packages);
      expect(runScript('dnf check-update', packages).exitCode).toBe(0);
    });

    it('has no dnf on Ubuntu and no apt-get on Amazon Linux', () => {
      expect(runScript('dnf update -y', ubuntu())).toMatchObject({
        exitCode: 127,
        stderr: 'dnf: command not found\n',
      });
      expect(runScript('apt-get upgrade -y', al2023()).exitCode).toBe(127);
    });

    it('tells the OS family from the inventory', () => {
      expect(packageFamily(al2023())).toBe('rpm');
      expect(packageFamily(ubuntu())).toBe('deb');
      expect(packageFamily(new Map())).toBeUndefined();
    });

    it('holds every public image package at a version at least as new as the image', () => {
      for (const image of PUBLIC_IMAGES) {
        const repo = PACKAGE_REPOSITORIES[packageFamily(new Map(Object.entries(image.packages)))!];
        for (const [name, version] of Object.entries(image.packages)) {
          expect(compareVersions(repo[name] ?? '', version)).toBeGreaterThanOrEqual(0);
        }
      }
    });
  });

  describe('compareVersions', () => {
    it('orders versions as rpm does', () => {
      expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
      expect(compareVersions('1.0~rc1', '1.0')).toBeLessThan(0);
      expect(compareVersions('1:1.0', '2.0')).toBeGreaterThan(0);
      expect(compareVersions('2.34-117.amzn2023.0.1', '2.34-52.amzn2023.0.11')).toBeGreaterThan(0);
      expect(compareVersions('1.9.15p5-3ubuntu5.24.04.1', '1.9.15p5-3ubuntu5')).toBeGreaterThan(0);
      expect(compareVersions('1.0a', '1.0.1')).toBeLessThan(0);
    });

    const version = fc
      .array(fc.oneof(fc.nat({ max: 300 }).map(String), fc.constantFrom('a', 'rc', 'p', 'amzn', '~')), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join('.'));

    it('is a total order: reflexive, antisymmetric and transitive', () => {
      fc.assert(
        fc.property(version, version, version, (a, b, c) => {
          expect(compareVersions(a, a)).toBe(0);
          expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
          if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
            expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
          }
        }),
      );
    });

    it('treats a version followed by a release as newer than the bare version', () => {
      fc.assert(
        fc.property(version, fc.nat({ max: 99 }), (v, n) => {
          expect(compareVersions(`${v}.${n}`, v)).toBeGreaterThan(0);
        }),
      );
    });
  });
});
