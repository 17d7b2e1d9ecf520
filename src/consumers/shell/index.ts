/** The stage shell every stage runs in: `createStage` and the stage contract. */
export { createStage } from './stage.js';
export type { InputRecord, Output, Stage, StageContext, StageDeps, StageSpec, Strategy } from './types.js';
export type { RetryPolicy } from './policy.js';
