import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const functionFiles = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join('services', d.name, 'functions.yml'))
  .filter((file) => existsSync(join(ROOT, file)));

/**
 * EC2 image ARNs carry no account (`arn:aws:ec2:<region>::image/<id>`, Service Authorization Reference),
 * so a statement that names images only with an account id never matches one: RunInstances from an
 * AMI is denied on AWS, while the local cloud, which does not evaluate IAM, runs it happily.
 */
describe.each(functionFiles)('%s', (file) => {
  it('names EC2 images by their account-less ARN wherever it names images at all', () => {
    // The statements, not the comments that explain them.
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^\s*#.*$/gm, '');
    const imageArns = text.match(/arn:aws:ec2:[^\s'"]*:image\/[^\s'"]*/g) ?? [];

    // One region (`${aws:region}`) or every region (`*`, publishing copies across regions), never an account.
    const accountLess = /^arn:aws:ec2:(\$\{aws:region\}|\*)::image\/\*$/;
    expect(imageArns.filter((arn) => !accountLess.test(arn))).toEqual([]);
  });
});
