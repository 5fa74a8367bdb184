import cronParser from 'cron-parser';
import { badInput } from './errors';

/** The next time a cron expression (UTC) fires after `from`. */
export function nextRun(expression: string, from = new Date()): Date {
  return cronParser.parseExpression(expression, { currentDate: from, utc: true }).next().toDate();
}

/** A target's reconcileSchedule must be a cron expression; BAD_USER_INPUT naming the field otherwise. */
export function assertCronExpression(expression: string | null | undefined): void {
  if (!expression) return;
  try {
    nextRun(expression);
  } catch (error) {
    throw badInput(`reconcileSchedule is not a cron expression: ${(error as Error).message}.`, 'reconcileSchedule');
  }
}
