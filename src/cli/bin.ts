#!/usr/bin/env node

/** A subcommand: what `rx-firehose <command>` does, and how to load its module (which exports `main(argv)`). */
interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ main: (args: string[]) => Promise<number> }>;
}

// Each command's module is imported only when that command runs (string literals, so the bundler that builds
// the published bin keeps each command in its own chunk): the main job never loads the server, and `serve`
// never loads the line reader's job.
const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['run', { summary: 'run delivery streams described by Firehose configuration', load: () => import('./run.js') }],
  ['serve', { summary: 'serve the Firehose API on 127.0.0.1', load: () => import('./serve.js') }],
]);

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
    const { main } = await import('./main.js');
    return main(argv);
  }
  const command = COMMANDS.get(first);
  if (command === undefined) {
    const width = Math.max(...[...COMMANDS.keys()].map((c) => c.length));
    console.error(
      [
        `rx-firehose: unknown command ${JSON.stringify(first)}.`,
        '',
        'Usage: rx-firehose [options]            the main job (rx-firehose --help lists its options)',
        '       rx-firehose <command> [args]',
        '',
        'Commands:',
        ...[...COMMANDS].map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
      ].join('\n'),
    );
    return 2;
  }
  const { main } = await command.load();
  return main(argv.slice(1));
}

process.exitCode = await bin(process.argv.slice(2));
