#!/usr/bin/env node
import { Command } from 'commander';
import { runDemo } from './cli/demo.js';
import { configOrExit, loadEnvFiles } from './cli/env.js';
import { runFlowsCheck } from './cli/flows.js';
import { type PromoSendCliOptions, runPromoSend } from './cli/promo.js';
import { type ReportCliOptions, runReport } from './cli/report.js';
import { runSeed } from './cli/seed.js';
import { runServices } from './cli/services.js';
import { runStaffAdd, runStaffSetPassword, runStaffUnlock } from './cli/staff.js';
import { runStart } from './cli/start.js';

const program = new Command('hakdata')
  .description('Customers’ data rights over WhatsApp and Telegram')
  // A usage error (a missing option or argument, an unknown one) is one line and exit code 2, as
  // the commands' own argument errors are; `--help` exits 0. Subcommands inherit both settings.
  .showHelpAfterError(false)
  .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

program
  .command('start')
  .description('run the bot (ROLE=all|gateway|worker|admin)')
  .action(async () => {
    await loadEnvFiles();
    await runStart(configOrExit());
  });

program
  .command('demo')
  .description('start local services, seed demo customers and run the bot with the web chat')
  .action(async () => {
    await loadEnvFiles();
    await runDemo();
  });

program
  .command('services')
  .description('start Redis and a MongoDB-wire server if missing; write .hakdata/services.env')
  .action(async () => {
    await loadEnvFiles();
    await runServices();
  });

program
  .command('seed')
  .description('load the demo tenant (idempotent)')
  .action(async () => {
    await loadEnvFiles();
    process.exitCode = await runSeed(configOrExit());
  });

program
  .command('flows')
  .description('conversation flows')
  .command('check')
  .description('validate every flow file and locale')
  .argument('[dir]', 'flows directory', 'flows')
  .action(async (dir: string) => {
    process.exitCode = await runFlowsCheck(dir);
  });

const staffCommand = program.command('staff').description('staff console accounts');
staffCommand
  .command('add')
  .description('create a console account (asks for the password, or reads it from stdin)')
  .argument('<username>', 'login name: 3-32 characters a-z 0-9 . _ -')
  .requiredOption('--role <role>', 'agent (decides requests) or admin (also staff and audit)')
  .option('--password-stdin', 'read the password from stdin, for scripts')
  .action(async (username: string, options: { role: string; passwordStdin?: boolean }) => {
    await loadEnvFiles();
    process.exitCode = await runStaffAdd(configOrExit(), username, options);
  });
staffCommand
  .command('set-password')
  .description(
    'a new password for an account (asks for it, or reads it from stdin); lifts its sign-in locks and ends its console sessions',
  )
  .argument('<username>', 'the account')
  .option('--password-stdin', 'read the password from stdin, for scripts')
  .action(async (username: string, options: { passwordStdin?: boolean }) => {
    await loadEnvFiles();
    process.exitCode = await runStaffSetPassword(configOrExit(), username, options);
  });
staffCommand
  .command('unlock')
  .description("lift an account's sign-in locks, as the console's staff page does")
  .argument('<username>', 'the account')
  .action(async (username: string) => {
    await loadEnvFiles();
    process.exitCode = await runStaffUnlock(configOrExit(), username);
  });

const configCommand = program.command('config').description('settings');
configCommand
  .command('example')
  .description('print .env.example: every setting with its description and default')
  .action(async () => {
    const { appEnvExample } = await import('./app/settings.js');
    process.stdout.write(appEnvExample());
  });
configCommand
  .command('table')
  .description('print the settings table for the README')
  .action(async () => {
    const { appSettingsTable } = await import('./app/settings.js');
    process.stdout.write(`${appSettingsTable()}\n`);
  });

program
  .command('promo')
  .description('promotions to consented customers')
  .command('send')
  .description('send a promotion (rate-limited, resumable, skips anyone without consent)')
  .option('-f, --file <path>', 'promo file (YAML), see examples/promo.yaml')
  .option('--dry-run', 'count who would get it and why not; send nothing')
  .option('--resume <promoId>', 'continue a promo that was interrupted or crashed')
  .option('--force', 'with --resume: take over although another sender seems to hold it')
  .option('--rate <channel=perSecond...>', 'override a rate, e.g. --rate telegram=20')
  .option('--concurrency <n>', 'batches in progress at once per channel (default 3)')
  .action(async (options: PromoSendCliOptions) => {
    await loadEnvFiles();
    process.exitCode = await runPromoSend(configOrExit(), options);
  });

program
  .command('report')
  .description(
    'the monthly data-subject rights report, or the record of processing activity (UU PDP art. 31)',
  )
  .requiredOption('--month <YYYY-MM>', 'the month, in Jakarta time, e.g. 2026-11')
  .option('--format <format>', 'text (default), csv or pdf')
  .option('--lang <lang>', 'id (default) or en', 'id')
  .option('--activity', "the month's audit events, masked, as CSV, instead of the figures")
  .option('-o, --out <file>', 'write to this file instead of standard output')
  .action(async (options: ReportCliOptions) => {
    await loadEnvFiles();
    process.exitCode = await runReport(configOrExit(), options);
  });

program
  .command('compliance')
  .description(
    'the law mapped to the code: UU PDP article, right, flow, request type and worker, audit events, deadline, tests',
  )
  .action(async () => {
    const { complianceTable } = await import('./cli/compliance-table.js');
    process.stdout.write(`${complianceTable()}\n`);
  });

/** Commander's error line names the command and where its usage is: `hakdata report: required option … (hakdata report --help)`. */
function oneLineUsageErrors(command: Command): void {
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  const name = path.join(' ');
  command.configureOutput({
    outputError: (line, write) =>
      write(
        `${name}: ${line
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')} (${name} --help)\n`,
      ),
  });
  for (const sub of command.commands) oneLineUsageErrors(sub);
}
oneLineUsageErrors(program);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`hakdata: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
