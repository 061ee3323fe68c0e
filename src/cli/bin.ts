#!/usr/bin/env node
import { existsSync } from 'node:fs';

/** Subcommands, each a module next to this one that exports `main(argv): Promise<number>`. */
const COMMANDS: Readonly<Record<string, string>> = {
  run: 'run delivery streams described by Firehose configuration',
  serve: 'serve the Firehose API on 127.0.0.1',
};

/** The command's module next to this one (`run.js` compiled, `run.ts` from source), or undefined when it is not installed. */
function moduleOf(command: string): URL | undefined {
  if (!Object.hasOwn(COMMANDS, command)) return undefined;
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./${command}${ext}`, import.meta.url);
  return existsSync(url) ? url : undefined;
}

/**
 * The `rx-firehose` command: `rx-firehose <command> …args` loads that command's module and runs its `main`
 * with the arguments after the command's name; `rx-firehose [options]` (no command, or an option first)
 * runs the main job (`rx-firehose --help` lists its options). Resolves with the exit code: 2 for an
 * unknown command.
 *
 * @example
 * ```sh
 * npx rx-firehose --input events.jsonl --out ./firehose-out
 * ```
 */
export async function bin(argv: string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined || first.startsWith('-')) {
    const { main } = (await import('./main.js')) as { main: (args: string[]) => Promise<number> };
    return main(argv);
  }
  const url = moduleOf(first);
  if (url === undefined) {
    const installed = Object.keys(COMMANDS).filter((c) => moduleOf(c) !== undefined);
    const width = Math.max(0, ...installed.map((c) => c.length));
    console.error(
      [
        `rx-firehose: unknown command ${JSON.stringify(first)}.`,
        '',
        'Usage: rx-firehose [options]            the main job (rx-firehose --help lists its options)',
        ...(installed.length === 0 ? [] : ['       rx-firehose <command> [args]', '', 'Commands:']),
        ...installed.map((c) => `  ${c.padEnd(width)}  ${COMMANDS[c]}`),
      ].join('\n'),
    );
    return 2;
  }
  const command = (await import(url.href)) as { main: (args: string[]) => Promise<number> };
  return command.main(argv.slice(1));
}

process.exitCode = await bin(process.argv.slice(2));
