export { envExample, settingDefault, settingsTable } from './describe.js';
export { type Config, ConfigError, type ConfigProblem, loadConfig } from './load.js';
export { type Env, type EnvField, type EnvName, envFields } from './schema.js';
