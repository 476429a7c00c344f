/**
 * Racing work against a deadline, for listeners that must answer Slack in
 * time (a modal submission: 3 s) but would rather answer with the outcome.
 */

/** `work`'s value if it settles by `deadline` (epoch ms), else 'late' while the work goes on; its rejection is passed on. */
export async function settleBy<T>(work: Promise<T>, deadline: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
