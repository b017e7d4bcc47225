export { envExample, type SettingsSection, settingDefault, settingsTable } from './describe.js';
export { type Config, ConfigError, type ConfigProblem, loadConfig } from './load.js';
export { bool, csv, type Env, type EnvField, type EnvName, envFields, field, httpUrl } from './schema.js';
