import * as z from 'zod';

/**
 * A sweep id as the product makes them: `sweep-` and words of letters and digits joined by `-`. The daily
 * schedule names its sweep `sweep-<YYYY-MM-DD>` (`dailySweepId`); `amictl retention apply` names its
 * `sweep-manual-<YYYY-MM-DDTHH-MMZ>` or `sweep-manual-dry-run-<...>`. The id names the execution and keys
 * the sweep's plan, inventory and batch outcomes in the catalog, so nothing else is taken: no path,
 * shell, template or key separator character (no / . : # $ { } ; |, backtick or space), and at most
 * the 80 characters of a Step Functions execution name.
 */
export const sweepIdSchema = z
  .string()
  .max(80)
  .regex(
    /^sweep-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/,
    'Expected a sweep id such as sweep-2026-03-01: sweep- and letters and digits joined by -',
  );
