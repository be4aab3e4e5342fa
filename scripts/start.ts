// `npm start`: the main job on the embedded local cloud, told as a story on its simulated clock. The
// project's serverless.yml is deployed on it (DynamoDB Local, EC2, SSM, Inspector2, EventBridge, Step
// Functions, the functions in process), and then, through events and a person's amictl commands:
//   1. golden builds and their inspection, one rejected for a CRITICAL CVE   (scripts/pipeline-demo.ts)
//   2. publishing to two regions and the workloads account                   (scripts/pipeline-demo.ts)
//   3. application images, one approved by a person                          (scripts/pipeline-demo.ts)
//   4. a new golden version and the refresh it causes                        (scripts/pipeline-demo.ts)
//   5. a CVE on a published image and the rebuild it causes                  (scripts/story-vulnerable.ts)
//   6. weeks of daily retention sweeps                                       (scripts/retention-demo.ts)
//   7. the finale: the catalog at the end, its lineage tree and the HTML report (`finale` below)
// The mail the notify service sends (SNS email) is told under the step that caused it; the people it goes
// to confirm their subscriptions as the requests arrive (scripts/story-mail.ts).
// A step that does not reach its outcome within its bound of simulated time stops the story: exit 1,
// naming the act and the step.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listAll } from '@ami-lifecycle/catalog';
import { useColor } from '@ami-lifecycle/cli';
import { type LocalCloud, startLocalCloud } from '@ami-lifecycle/local-cloud';
import { amictlOn } from './amictl-on';
import { LocalPipeline } from './local-pipeline';
import { runPipelineDemo } from './pipeline-demo';
import { runRetentionDemo } from './retention-demo';
import { Story, storyFailure, table } from './story-log';
import { StoryMail } from './story-mail';
import { runVulnerableDemo } from './story-vulnerable';

/** When the simulated clock starts, and serverless.yml is deployed: the daily schedules fire at this time of day. */
const START = '2026-03-02T09:00:00.000Z';
/** Where the finale writes the HTML report (ignored by git): open it in a browser, it needs no network. */
const REPORT_FILE = join(__dirname, '..', 'report', 'ami-lifecycle.html');

/** Pages of a catalog listing the finale reads at most. */
const MAX_PAGES = 50;

/**
 * The end of the story: every image of every family, counted by state, from the catalog; then the lineage
 * tree and the HTML report of the same catalog, from amictl.
 */
export const finale = async (story: Story, pipeline: LocalPipeline): Promise<void> => {
  story.heading(7, 'the catalog at the end');
  const families = (
    await listAll('family configs', (page) => pipeline.catalog.listFamilyConfigs(page), MAX_PAGES)
  )
    .map((c) => c.family)
    .sort();
  const rows: string[][] = [];
  for (const family of families) {
    const images = await listAll(
      `${family} images`,
      (page) => pipeline.catalog.listImagesByFamily(family, page),
      MAX_PAGES,
    );
    const byState = new Map<string, string[]>();
    for (const image of images.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      byState.set(image.state, [...(byState.get(image.state) ?? []), image.version]);
    }
    rows.push([
      family,
      String(images.length),
      [...byState]
        .map(([state, versions]) => `${state} ${versions.length} (${versions.join(', ')})`)
        .join('; '),
    ]);
  }
  story.at('images by family and state (catalog):');
  for (const line of table(['FAMILY', 'IMAGES', 'BY STATE'], rows)) story.more(line);

  // The lineage and the report, as an operator gets them: amictl against this stage.
  const amictl = amictlOn(pipeline, pipeline.cloud.clientConfig.region, {
    color: useColor(process.env, process.stdout.isTTY === true),
  });
  const lineage = await amictl('lineage');
  if (lineage.code !== 0) throw new Error(`amictl lineage failed (exit ${lineage.code}): ${lineage.err}`);
  story.at('the lineage (amictl lineage):');
  for (const line of lineage.out.split('\n')) story.more(line);
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  const report = await amictl('report', '--html', REPORT_FILE);
  if (report.code !== 0) throw new Error(`amictl report failed (exit ${report.code}): ${report.err}`);
  story.at('the report (amictl report --html):');
  for (const line of report.out.split('\n')) story.more(line);
};

/** The functions' own log lines (Powertools JSON) would bury the story; `POWERTOOLS_LOG_LEVEL=INFO npm start` shows them. */
const FUNCTION_LOG_LEVEL = 'SILENT';

/** What the functions did on the local cloud's Lambda: invocations, failures, and events Lambda gave up on. */
const functionsLine = (cloud: LocalCloud): string => {
  const calls = cloud.lambda?.invocations() ?? [];
  const failed = calls.filter((c) => c.outcome !== 'succeeded');
  const kinds = [...new Set(failed.map((c) => c.error?.split(':')[0] ?? 'unknown'))];
  const gaveUp = cloud.lambda?.asyncFailures().length ?? 0;
  return (
    `the functions ran ${calls.length} times; ${failed.length} failed` +
    (kinds.length > 0 ? ` (${kinds.join(', ')}), each retried or caught by its caller` : '') +
    `; Lambda gave up on ${gaveUp} asynchronous events`
  );
};

/** Who got how many messages, the story's confirmations aside. */
const mailLine = (mail: StoryMail): string => {
  const counts = [...mail.summary.delivered].sort(([a], [b]) => a.localeCompare(b));
  if (counts.length === 0) return 'nobody was sent a message';
  return counts.map(([address, n]) => `${address} ${n}`).join(', ');
};

let story: Story | undefined;

const main = async () => {
  const started = Date.now();
  process.env.POWERTOOLS_LOG_LEVEL ??= FUNCTION_LOG_LEVEL;
  const cloud = await startLocalCloud({
    port: 0,
    start: START,
    dynamodb: true,
    deploy: { serverlessFile: join(__dirname, '..', 'serverless.yml'), stage: 'local' },
  });
  let mail: StoryMail | undefined;
  // Mail is looked at after every line the story prints, so that a confirmation request is answered while
  // the build that caused it is still running, and after every step.
  story = new Story(
    cloud.clock,
    (l) => {
      console.log(l);
      mail?.flush();
    },
    new Date(START),
  );
  mail = new StoryMail(cloud, story);
  story.afterStep = () => mail?.flush();
  story.note(
    `ami-lifecycle on the local cloud at ${cloud.endpoint} (DynamoDB Local at ${cloud.dynamodb?.endpoint}), ` +
      `started in ${((Date.now() - started) / 1000).toFixed(1)} s. Simulated time: day 1 is ${START.slice(0, 10)}. ` +
      `Function logs: ${process.env.POWERTOOLS_LOG_LEVEL}.`,
  );
  try {
    const built = await runPipelineDemo({ cloud, story });
    await runVulnerableDemo({ cloud, built, story });
    await runRetentionDemo({ cloud, built, deployedAt: new Date(START), story });
    await finale(story, new LocalPipeline(cloud));
    mail.flush();
    story.note(`On the local cloud, ${functionsLine(cloud)}.`);
    story.note(`Mail: ${mailLine(mail)}.`);
    story.note(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s of real time.`);
  } finally {
    await cloud.stop();
  }
};

main().catch((e) => {
  console.error(`\nnpm start failed: ${storyFailure(story, e)}`);
  process.exit(1);
});
