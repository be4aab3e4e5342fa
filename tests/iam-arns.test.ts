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
// An ARN as functions.yml writes it: the partition literal or CloudFormation's, inside a `!Sub`.
const EC2_IMAGE_ARN = /arn:(?:aws|\$\{AWS::Partition\}):ec2:[^\s'"]*:image\/[^\s'"]*/g;

describe.each(functionFiles)('%s', (file) => {
  it('names EC2 images by their account-less ARN wherever it names images at all', () => {
    // The statements, not the comments that explain them.
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^\s*#.*$/gm, '');
    const imageArns = text.match(EC2_IMAGE_ARN) ?? [];

    // One region (`${AWS::Region}`) or every region (`*`, publishing copies across regions), never an account.
    const accountLess = /^arn:\$\{AWS::Partition\}:ec2:(\$\{AWS::Region\}|\*)::image\/\*$/;
    expect(imageArns.filter((arn) => !accountLess.test(arn))).toEqual([]);
  });
});

it('finds the image ARNs it checks, and would catch one with an account', () => {
  const all = functionFiles.flatMap(
    (file) => readFileSync(join(ROOT, file), 'utf8').match(EC2_IMAGE_ARN) ?? [],
  );
  expect(all.length).toBeGreaterThanOrEqual(6);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an ARN as a `!Sub` writes it
  const withAccount = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:image/*';
  expect(`- !Sub ${withAccount}`.match(EC2_IMAGE_ARN)).toEqual([withAccount]);
});
