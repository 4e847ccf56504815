/** The `code` of what `fn` throws, or 'no error' (a readable failure when a refusal did not happen). */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'no error';
}
