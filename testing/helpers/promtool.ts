/** `promtool check metrics`, Prometheus' own parser and linter; a missing promtool fails loudly (.ci/run installs prometheus). */
import { execFileSync } from 'node:child_process';

export function promtoolCheckMetrics(text: string): void {
  try {
    execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool check metrics: ${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  }
}
