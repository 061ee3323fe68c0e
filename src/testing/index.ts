export { memoryDestination } from './memoryDestination.js';
export type {
  MemoryAttempt,
  MemoryDestination,
  MemoryDestinationOptions,
  MemoryFailureWrite,
  MemoryRequest,
  MemoryRuleAnswer,
} from './memoryDestination.js';
export { recordOfSize } from './recordOfSize.js';
export { trackSettlements } from './trackSettlements.js';
export type { SettlementLog } from './trackSettlements.js';
