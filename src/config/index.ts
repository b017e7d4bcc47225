export { type Config, ConfigError, type ConfigProblem, loadConfig } from './load.js';
export { type Env, envFields } from './schema.js';
