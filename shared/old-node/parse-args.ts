/**
 * util.parseArgs (native from Node 16.17 / 18.3) for the hook bundles on older Node: the subset the
 * commands use, with Node's semantics and error codes, so a command behaves the same on every Node.
 * Supported: `type` 'string' | 'boolean', `short`, `strict`, `allowPositionals`, `--name=value`,
 * `--name value`, `-n value`, `-nvalue`, grouped short booleans (`-ab`), `--` ends the options.
 * Anything else in the configuration (`multiple`, `default`, `tokens`, ...) throws at once, so a
 * command that starts using it fails loudly on old Node in the tests instead of misparsing.
 */
interface OptionConfig {
  type: 'string' | 'boolean';
  short?: string;
}
interface ParseArgsConfig {
  args?: string[];
  options?: Record<string, OptionConfig>;
  strict?: boolean;
  allowPositionals?: boolean;
}

function fail(code: string, message: string): never {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  throw err;
}

export function parseArgs(config: ParseArgsConfig = {}): { values: Record<string, string | boolean>; positionals: string[] } {
  for (const key of Object.keys(config)) {
    if (!['args', 'options', 'strict', 'allowPositionals'].includes(key)) fail('ERR_INVALID_ARG_VALUE', `parseArgs: "${key}" is not supported on Node ${process.version}`);
  }
  const options = config.options ?? {};
  const strict = config.strict ?? true;
  const allowPositionals = config.allowPositionals ?? !strict;
  const byShort = new Map<string, string>();
  for (const name of Object.keys(options)) {
    const o = options[name]!;
    for (const key of Object.keys(o)) {
      if (key !== 'type' && key !== 'short') fail('ERR_INVALID_ARG_VALUE', `parseArgs: option "${name}" uses "${key}", not supported on Node ${process.version}`);
    }
    if (o.type !== 'string' && o.type !== 'boolean') fail('ERR_INVALID_ARG_VALUE', `parseArgs: option "${name}" must have type "string" or "boolean"`);
    if (o.short !== undefined) byShort.set(o.short, name);
  }
  const args = config.args ?? process.argv.slice(2);
  const values: Record<string, string | boolean> = Object.create(null);
  const positionals: string[] = [];

  const set = (name: string, shown: string, inline: string | undefined, next: () => string | undefined): void => {
    const o = options[name];
    if (!o) {
      if (strict) fail('ERR_PARSE_ARGS_UNKNOWN_OPTION', `Unknown option '${shown}'`);
      values[name] = inline ?? true;
      return;
    }
    if (o.type === 'boolean') {
      if (inline !== undefined && strict) fail('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${shown}' does not take an argument`);
      values[name] = true;
      return;
    }
    const value = inline ?? next();
    if (value === undefined) fail('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${shown} <value>' argument missing`);
    if (inline === undefined && strict && value.startsWith('-')) {
      fail('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${shown} <value>' argument is ambiguous.\nDid you forget to specify the option argument for '${shown}'?\nTo specify an option argument starting with a dash use '${shown}=-XYZ'.`);
    }
    values[name] = value;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = (): string | undefined => (i + 1 < args.length ? args[++i] : undefined);
    if (arg === '--') {
      const rest = args.slice(i + 1);
      if (rest.length > 0 && !allowPositionals) fail('ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL', `Unexpected argument '${rest[0]}'. This command does not take positional arguments`);
      positionals.push(...rest);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      set(name, `--${name}`, eq === -1 ? undefined : arg.slice(eq + 1), next);
    } else if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const name = byShort.get(letter) ?? letter;
        const shown = `-${letter}`;
        if (options[name]?.type === 'string') {
          // -cvalue: the rest of the group is the value.
          set(name, shown, j + 1 < arg.length ? arg.slice(j + 1) : undefined, next);
          break;
        }
        set(name, shown, undefined, next);
      }
    } else {
      if (!allowPositionals) fail('ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL', `Unexpected argument '${arg}'. This command does not take positional arguments`);
      positionals.push(arg);
    }
  }
  return { values, positionals };
}
