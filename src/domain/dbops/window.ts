/**
 * A maintenance window: it opens at each occurrence of a cron expression, in a time zone, and
 * stays open for a duration. Work that changes the database (VACUUM, REINDEX) starts only while a
 * window is open. Pure: the time is passed in.
 */
import { Cron } from 'croner';
import { cronOptions } from '../../api/v1alpha1/checks/cron.js';

export interface MaintenanceWindow {
  readonly schedule: string;
  readonly timeZone: string;
  readonly durationMs: number;
}

export type WindowState =
  | { readonly open: true; readonly closesAt: Date }
  | { readonly open: false; readonly opensAt: Date | undefined };

export function windowState(window: MaintenanceWindow, now: Date): WindowState {
  const cron = new Cron(window.schedule, cronOptions(window.timeZone));
  // previousRuns is strictly before its reference, in whole seconds: a window opening now counts.
  const [opened] = cron.previousRuns(1, new Date(now.getTime() + 1000));
  if (opened && now.getTime() < opened.getTime() + window.durationMs) {
    return { open: true, closesAt: new Date(opened.getTime() + window.durationMs) };
  }
  return { open: false, opensAt: cron.nextRun(now) ?? undefined };
}
