/**
 * The engine's advice names the command line (`orchestra-migrate cutover`), because the CLI
 * and the editor share its errors and texts. In the editor the same advice names the palette
 * command that does it: an extension user may have no `orchestra-migrate` on the PATH.
 * No `vscode` import, so the unit tests check it on plain Node.
 */

/** Each CLI command the engine's texts advise, as its palette command's title says it. */
export const PALETTE_TITLES = {
  verify: 'Orchestra: Verify Migration Plan',
  execute: 'Orchestra: Execute Migration',
  cutover: 'Orchestra: Cutover to the Cloud…',
  'rollback-cutover': 'Orchestra: Rollback Cutover…',
  reset: 'Orchestra: Reset Phase',
  skip: 'Orchestra: Skip Phase',
  destroy: 'Orchestra: Destroy Migration Resources…',
  health: 'Orchestra: Check Service Health',
  init: 'Orchestra: Initialize Configuration',
  report: 'Orchestra: Show Migration Report',
} as const;

type Advised = keyof typeof PALETTE_TITLES;

/**
 * `orchestra-migrate <command>`, its flags and (for reset and skip) the phase it names, in
 * or out of Markdown backticks. Commands with no editor equivalent (login, sandbox, memory,
 * sync, monitor) are matched too, and left as they are, except monitor (the tree shows runs).
 */
const CLI_COMMAND =
  /(`?)orchestra-migrate ([a-z][a-z-]*)((?: --(?:(?:out|plan|phase|side)[ =][^\s,;)`]*[^\s,;.)`]|[a-z][a-z-]*))*)(?: ([a-z][a-z-]*))?\1/g;

const PHASE_ARGUMENT: ReadonlySet<string> = new Set(['reset', 'skip']);

/** The text with every CLI command it advises named as the editor's palette command. */
export function forEditor(text: string): string {
  return text.replace(CLI_COMMAND, (whole, _tick: string, command: string, _flags: string, next?: string) => {
    if (command === 'monitor') return `the Orchestra phase tree${next ? ` ${next}` : ''}`;
    if (!Object.hasOwn(PALETTE_TITLES, command)) return whole;
    const title = `"${PALETTE_TITLES[command as Advised]}"`;
    if (!next) return title;
    // The word after a command is its phase only for reset and skip; otherwise it is prose.
    return PHASE_ARGUMENT.has(command) ? `${title} on ${next}` : `${title} ${next}`;
  });
}
