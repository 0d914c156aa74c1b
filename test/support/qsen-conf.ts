/**
 * conf.toml for system tests that run qsen against an in-process simulator over a state folder
 * made by initClusterPki: the window open all day every day, `test_identity = true`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes HOME/conf.toml for qsen on `qsenPort` talking to the simulator on `senebiPort`. */
export function writeQsenConf(home: string, qsenPort: number, senebiPort: number, timeoutMs: number): void {
  writeFileSync(join(home, 'conf.toml'), [
    '[server]', 'listen = "127.0.0.1"', `qsen_port = ${qsenPort}`,
    '[schedule]', 'timezone = "America/Argentina/Buenos_Aires"', 'start = "00:00"', 'stop = "24:00"',
    'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
    '[senebi]', `url = "https://127.0.0.1:${senebiPort}"`, 'ca = "senebi/ca.crt"', 'cert = "senebi/agent.crt"',
    'key = "senebi/agent.key.enc"', 'passphrase_file = "senebi/passphrase"', `timeout_ms = ${timeoutMs}`, 'test_identity = true', '',
  ].join('\n'));
}
