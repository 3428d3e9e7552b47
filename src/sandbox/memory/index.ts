export { NO_FAULTS, type MemoryFaults } from './faults';
export {
  FEATURES,
  SERVER_VERSION,
  startMemoryServer,
  type MemoryServerHandle,
  type MemoryServerOptions,
} from './server';
export { MemoryStore, type StoredRecord, type WriteOp, type WriteOutcome } from './store';
