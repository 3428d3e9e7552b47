/** What `orchestra-migrate sandbox` tells a rehearsal: the default ports and gcloud's endpoint overrides. */
export { DEFAULT_PORTS } from '../config/defaults';
export { emulatorOverrideEnv } from '../gcp/endpoints';
