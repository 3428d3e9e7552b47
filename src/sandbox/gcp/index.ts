/** The local Google Cloud emulator: see docs/emulator.md. */
export { startGcpEmulator, type GcpEmulator, type GcpEmulatorOptions, type LoggedRequest } from './server';
export { defaultFaults, type Faults, type ScriptedFailure } from './faults';
export { crc32c } from './crc32c';
