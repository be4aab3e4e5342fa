import { createHash } from 'node:crypto';

export const AMAZON_OWNER_ID = '137112412989';
export const CANONICAL_OWNER_ID = '099720109477';

export interface PublicImageSpec {
  name: string;
  ownerId: string;
  ownerAlias: 'amazon' | 'canonical';
  description: string;
  architecture: 'x86_64' | 'arm64';
  /** The public SSM parameter that points to it, as AWS publishes them. */
  ssmParameter?: string;
  /** Package inventory of an instance launched from it: name -> version. */
  packages: Record<string, string>;
  creationDate: string;
  /** `/dev/xvda` on Amazon Linux, `/dev/sda1` on Ubuntu, as their real AMIs name the root device. */
  rootDeviceName?: string;
  /** `v2.0` makes instances launched from it default to IMDSv2 (`HttpTokens=required`), as AL2023 AMIs do. */
  imdsSupport?: 'v2.0';
}

const AL2023_PACKAGES = {
  kernel: '6.1.112-122.189.amzn2023',
  openssl: '3.0.8-1.amzn2023.0.14',
  'openssh-server': '8.7p1-8.amzn2023.0.11',
  curl: '8.5.0-1.amzn2023.0.4',
  glibc: '2.34-52.amzn2023.0.11',
  'amazon-ssm-agent': '3.3.808.0-1.amzn2023',
  sudo: '1.9.15-1.p5.amzn2023.0.1',
};

const UBUNTU_PACKAGES = {
  'linux-image-aws': '6.8.0-1018.19',
  openssl: '3.0.13-0ubuntu3.4',
  'openssh-server': '1:9.6p1-3ubuntu13.5',
  curl: '8.5.0-2ubuntu10.4',
  libc6: '2.39-0ubuntu8.3',
  'amazon-ssm-agent': '3.3.808.0',
  sudo: '1.9.15p5-3ubuntu5',
};

/** Source images seeded in every region, so golden builds have real public sources to start from. */
export const PUBLIC_IMAGES: readonly PublicImageSpec[] = [
  {
    name: 'al2023-ami-2023.6.20241031.0-kernel-6.1-x86_64',
    ownerId: AMAZON_OWNER_ID,
    ownerAlias: 'amazon',
    description: 'Amazon Linux 2023 AMI 2023.6.20241031.0 x86_64 HVM kernel-6.1',
    architecture: 'x86_64',
    ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    packages: AL2023_PACKAGES,
    creationDate: '2024-10-31T20:00:00.000Z',
    rootDeviceName: '/dev/xvda',
    imdsSupport: 'v2.0',
  },
  {
    name: 'al2023-ami-2023.6.20241031.0-kernel-6.1-arm64',
    ownerId: AMAZON_OWNER_ID,
    ownerAlias: 'amazon',
    description: 'Amazon Linux 2023 AMI 2023.6.20241031.0 arm64 HVM kernel-6.1',
    architecture: 'arm64',
    ssmParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    packages: AL2023_PACKAGES,
    creationDate: '2024-10-31T20:00:00.000Z',
    rootDeviceName: '/dev/xvda',
    imdsSupport: 'v2.0',
  },
  {
    name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241109',
    ownerId: CANONICAL_OWNER_ID,
    ownerAlias: 'canonical',
    description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
    architecture: 'x86_64',
    ssmParameter: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
    packages: UBUNTU_PACKAGES,
    creationDate: '2024-11-09T10:00:00.000Z',
    rootDeviceName: '/dev/sda1',
  },
];

/** Deterministic per region, so tests and docs can name a public AMI before the cloud starts. */
export const publicImageId = (region: string, name: string): string =>
  `ami-${createHash('sha256').update(`${region}/${name}`).digest('hex').slice(0, 17)}`;
