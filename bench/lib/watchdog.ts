/**
 * Bounds a benchmark: past `seconds` it prints what it was doing and exits 1 (a bench must never
 * hang the runner). Call `stage(text)` as the steps go.
 */
export function watchdog(seconds: number): (text: string) => void {
  let current = 'starting';
  setTimeout(() => {
    process.stderr.write(`benchmark exceeded ${seconds} s while ${current}\n`);
    process.exit(1);
  }, seconds * 1000).unref();
  return (text) => {
    current = text;
  };
}
