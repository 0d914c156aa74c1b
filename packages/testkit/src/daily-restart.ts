/**
 * The kans restart themselves daily at `schedule.kan_restart` (default 00:05 in Buenos Aires,
 * 03:05 UTC; kan 1 and kan 2 two and four minutes later). A test whose system runs then sees a
 * kan restart it never asked for: a new pid and invocation, a refused connection, one restart
 * more in a count. A test's conf.toml therefore puts the daily restart on the far side of the
 * clock: 12 hours from now in the schedule's zone, out of reach of any test run.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** "HH:MM" on the clock of `timezone`, 12 hours after `nowMs`. */
export function dailyRestartFarFrom(timezone: string, nowMs: number = Date.now()): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(nowMs + 12 * 3_600_000));
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${part('hour')}:${part('minute')}`;
}

/** Rewrites the `kan_restart` line of a conf.toml to dailyRestartFarFrom(its timezone, now). */
export function moveDailyRestartAway(confFile: string, nowMs: number = Date.now()): string {
  const text = readFileSync(confFile, 'utf8');
  const timezone = /^timezone = "([^"]+)"$/m.exec(text)?.[1] ?? 'America/Argentina/Buenos_Aires';
  const at = dailyRestartFarFrom(timezone, nowMs);
  const lines = text.match(/^kan_restart = .*$/gm)?.length ?? 0;
  if (lines !== 1) throw new Error(`${confFile} has ${lines} kan_restart lines; expected exactly one`);
  writeFileSync(confFile, text.replace(/^kan_restart = .*$/m, `kan_restart = "${at}"`));
  return at;
}
