#!/usr/bin/env node
import { Command } from 'commander';
import { runDemo } from './cli/demo.js';
import { configOrExit, loadEnvFiles } from './cli/env.js';
import { runFlowsCheck } from './cli/flows.js';
import { runSeed } from './cli/seed.js';
import { runServices } from './cli/services.js';
import { runStart } from './cli/start.js';

const program = new Command('hakdata')
  .description('Customers’ data rights over WhatsApp and Telegram')
  .showHelpAfterError();

program
  .command('start')
  .description('run the bot (ROLE=all|gateway|worker|admin)')
  .action(async () => {
    loadEnvFiles();
    await runStart(configOrExit());
  });

program
  .command('demo')
  .description('start local services, seed demo customers and run the bot with the web chat')
  .action(async () => {
    loadEnvFiles();
    await runDemo();
  });

program
  .command('services')
  .description('start Redis and a MongoDB-wire server if missing; write .hakdata/services.env')
  .action(async () => {
    loadEnvFiles();
    await runServices();
  });

program
  .command('seed')
  .description('load the demo tenant (idempotent)')
  .action(async () => {
    loadEnvFiles();
    await runSeed(configOrExit());
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

const configCommand = program.command('config').description('settings');
configCommand
  .command('example')
  .description('print .env.example: every setting with its description and default')
  .action(async () => {
    const { envExample } = await import('./config/describe.js');
    process.stdout.write(envExample());
  });
configCommand
  .command('table')
  .description('print the settings table for the README')
  .action(async () => {
    const { settingsTable } = await import('./config/describe.js');
    process.stdout.write(`${settingsTable()}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`hakdata: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
