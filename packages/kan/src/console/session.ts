/**
 * Who is looking at the console and what the page may offer them (pure): the role decides which
 * buttons are drawn (docs/api.md §2: halt and resume for operators; restarts for operators, and
 * the platform, which the console does not admit), and the schedule, with its time zone, lets the
 * page show the trading window in that zone and in UTC.
 */
import type { ScheduleConfig } from '@qsen/core/config';
import { MAINTENANCE_ROLES, type Role } from '@qsen/core/http';

/** The roles the console admits: the people, not the platform's machine identity. */
export const CONSOLE_ROLES: readonly Role[] = ['operator', 'auditor'];

/** The roles that may halt and resume from the console (its halt and resume routes declare them). */
export const CONSOLE_HALT_ROLES: readonly Role[] = ['operator'];

/** What GET /kan/v1/console/session answers. */
export interface ConsoleSession {
  readonly role: Role;
  readonly subject: string;
  /** The kan serving the page. */
  readonly kan: number;
  /** Halt and resume (operator only). */
  readonly mayHalt: boolean;
  /** restart_qsen and restart_kan (platform and operator, docs/api.md §2). */
  readonly mayRestart: boolean;
  /** The schedule's window, and whether it is open all day (the page then says so instead of a next change within the day). */
  readonly schedule: Pick<ScheduleConfig, 'timezone' | 'start' | 'stop' | 'days' | 'holidays'> & {
    /** Open from 00:00 to 24:00 on its days. */
    readonly allDay: boolean;
    /** Open all day on every day of the week with no holiday: the window never closes. */
    readonly alwaysOpen: boolean;
  };
  /** The caller's own client certificate, for its expiry. */
  readonly client: { readonly notAfter: string | null; readonly daysLeft: number | null };
}

const DAY_MS = 86_400_000;

/** Describes the session of a caller (its role already checked) at nowMs. */
export function describeSession(input: { role: Role; subject: string; kan: number; schedule: ScheduleConfig; clientNotAfter: string | undefined; nowMs: number }): ConsoleSession {
  const { schedule } = input;
  const allDay = schedule.start === '00:00' && schedule.stop === '24:00';
  const notAfterMs = input.clientNotAfter === undefined ? Number.NaN : Date.parse(input.clientNotAfter);
  const valid = Number.isFinite(notAfterMs);
  return {
    role: input.role,
    subject: input.subject,
    kan: input.kan,
    mayHalt: CONSOLE_HALT_ROLES.includes(input.role),
    // The roles of the restart routes (routes/restart.ts).
    mayRestart: MAINTENANCE_ROLES.includes(input.role),
    schedule: {
      timezone: schedule.timezone, start: schedule.start, stop: schedule.stop, days: schedule.days, holidays: schedule.holidays,
      allDay, alwaysOpen: allDay && schedule.days.length === 7 && schedule.holidays.length === 0,
    },
    client: { notAfter: valid ? new Date(notAfterMs).toISOString() : null, daysLeft: valid ? Math.floor((notAfterMs - input.nowMs) / DAY_MS) : null },
  };
}
